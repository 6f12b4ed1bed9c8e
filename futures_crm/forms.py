"""Form helpers shared by the pages: forms parse, services decide, and a refusal lands back on the form."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError

from . import people


class StaffChoiceField(forms.ModelChoiceField):
    """Staff offered as "姓名 (工号)", not by login name (give it a queryset with `staff_profile` joined)."""

    def label_from_instance(self, obj):
        return people.label(obj)


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = StaffChoiceField.label_from_instance


def add_service_errors(form, exc: ValidationError, aliases: dict | None = None) -> None:
    """Show a service's ValidationError on the bound form, which keeps what the user typed.

    Each message goes on its field when the form has that field (`aliases` maps a service's field name to
    the form's), the others on top of the form, so no refusal is lost for want of a field.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    aliases = aliases or {}
    for name, errors in exc.error_dict.items():
        field = aliases.get(name, name)
        on_form = field in form.fields and name != NON_FIELD_ERRORS
        form.add_error(field if on_form else None, errors if on_form else [
            ValidationError(f"{_label(form, name)}{m}") for m in ValidationError(errors).messages])


def _label(form, name: str) -> str:
    # A message about a field the form does not show names the field, or it would read as a general error.
    if name == NON_FIELD_ERRORS:
        return ""
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return f"{model._meta.get_field(name).verbose_name}: "
        except FieldDoesNotExist:
            pass
    return f"{name}: "
