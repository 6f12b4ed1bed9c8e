"""The project's form renderer (settings.FORM_RENDERER): Django's plain widgets written in Python, others by templates.

Django renders every `<input>` and `<option>` through template includes; a client list's filter form holds about
90 options and took a fifth of the page's time, the client page's forms a tenth of it. The markup is exactly that
of Django's templates (django/forms/widgets/select.html, select_option.html, input.html and the input types that
include it, textarea.html, attrs.html), escaped the same way; a widget with a template of its own keeps it.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

WIDGETS = "django/forms/widgets/"
SELECT = WIDGETS + "select.html"
OPTION = WIDGETS + "select_option.html"
TEXTAREA = WIDGETS + "textarea.html"
# The input types whose template is `{% include "django/forms/widgets/input.html" %}` and nothing else.
INPUTS = {WIDGETS + f"{name}.html" for name in ("input", "text", "number", "email", "url", "tel", "search",
                                                 "password", "hidden", "date", "datetime", "time", "checkbox")}


def _attrs(attrs: dict) -> str:
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items() if value is not False
    )


def _option(option: dict) -> str:
    return (f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
            f'{conditional_escape(option["label"])}</option>\n')  # the template file ends with a newline


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"' \
           f'{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n' \
           f'{conditional_escape(widget["value"]) if widget["value"] else ""}</textarea>'


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget", {})
        if template_name in INPUTS:
            return mark_safe(_input(widget))  # noqa: S308 - escaped above
        if template_name == TEXTAREA:
            return mark_safe(_textarea(widget))  # noqa: S308 - escaped above
        if template_name != SELECT or any(o.get("template_name") != OPTION
                                           for _name, options, _i in widget.get("optgroups", ()) for o in options):
            return super().render(template_name, context, request)
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(_option(o) for o in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

