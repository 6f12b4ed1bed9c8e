"""Error pages that say what went wrong: a request too large to read is a 413 in the user's language, not a
bare 400 (pages: a page that says nothing was saved and how to get the text back; the API: JSON)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults


def too_large_message(request) -> str:
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    return _("What you sent is too large to be read (%(size)s; a form takes at most %(limit)s). Nothing was "
             "saved.") % {"size": filesizeformat(size), "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    """handler400: an oversized request (or one with too many fields) becomes a 413 that explains itself."""
    if not isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        return defaults.bad_request(request, exception, template_name)
    message = too_large_message(request) if isinstance(exception, RequestDataTooBig) else _(
        "What you sent has too many fields to be read. Nothing was saved.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "413.html", {"message": message}, status=413)
