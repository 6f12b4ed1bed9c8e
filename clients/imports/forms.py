"""Forms of the import pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.imports import ImportKind
from .services import upload_limit, upload_too_large_message


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of file"), choices=ImportKind.choices)
    file = forms.FileField(label=_("File (CSV, UTF-8 or GB18030)"))
    encoding = forms.ChoiceField(label=_("Encoding"), initial="auto", choices=[
        ("auto", _("Detect")), ("utf-8", "UTF-8"), ("gb18030", "GB18030 / GBK")])
    partial = forms.BooleanField(label=_("Partial: write the good rows, quarantine the bad ones"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > upload_limit():
            raise forms.ValidationError(upload_too_large_message(), code="too_large")
        return upload


class QuarantineFixForm(forms.Form):
    """One field per column of the quarantined row, pre-filled with what the file said."""

    def __init__(self, *args, row, **kwargs):
        super().__init__(*args, **kwargs)
        from .formats import FORMATS

        fmt = FORMATS[row.batch.kind]
        bad = {e.get("column") for e in row.errors}
        for col in fmt.columns:
            self.fields[col.name] = forms.CharField(
                label=f"{col.name} ({col.alias})", required=False, initial=row.raw.get(col.name, ""),
                widget=forms.TextInput(attrs={"class": "bad"} if col.name in bad else {}))

    def raw(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
