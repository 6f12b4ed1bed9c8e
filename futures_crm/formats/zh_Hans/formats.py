"""Display formats for zh_Hans (see futures_crm.formats)."""

from django.conf.locale.zh_Hans import formats as django_formats

from futures_crm.formats import DISPLAY, ISO_DATE, ISO_DATETIME, iso_first

globals().update(DISPLAY)
DATE_INPUT_FORMATS = iso_first([ISO_DATE], django_formats.DATE_INPUT_FORMATS)
DATETIME_INPUT_FORMATS = iso_first(ISO_DATETIME, django_formats.DATETIME_INPUT_FORMATS)
TIME_INPUT_FORMATS = django_formats.TIME_INPUT_FORMATS
