"""Texts the system writes (task titles, batch messages, warnings, grade reasons, notifications).

They are stored as a code and its parameters, not as a sentence: the sentence is rendered in the reader's
language when shown (page, API, export, e-mail). Each app registers its codes in its own `texts.py`
(imported by its AppConfig.ready), each code a lazy translatable template, or a function of the parameters
for a text that is more than one sentence. A stored row also keeps the text in settings.LANGUAGE_CODE as
written: the fallback shown when its code is unknown (rows older than the codes, a code since removed).
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

_REGISTRY: dict[str, Promise | Callable[[dict], str]] = {}


def register(entries: dict) -> None:
    """Add an app's codes: code → lazy template (`%(name)s` placeholders) or function(params) → str."""
    _REGISTRY.update(entries)


def known(code: str) -> bool:
    return code in _REGISTRY


def _jsonable(value):
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")  # a file's text: jsonb cannot hold U+0000
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def render(code: str | None, params: dict | None = None, fallback: str = "") -> str:
    """The text of `code` in the active language; `fallback` (the stored text) when the code is unknown."""
    entry = _REGISTRY.get(code or "")
    if entry is None:
        return fallback or ""
    if callable(entry) and not isinstance(entry, Promise):
        return entry(params or {})
    return str(entry) % params if params else str(entry)


@dataclass(frozen=True)
class Text:
    """A generated text: its code and parameters (JSON values). `str()` renders it in the active language."""

    code: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.code not in _REGISTRY:
            raise KeyError(f"unregistered text code {self.code!r}")
        object.__setattr__(self, "params", {k: _jsonable(v) for k, v in self.params.items()})

    def __str__(self):
        return render(self.code, self.params)

    def stored(self) -> dict:
        """The JSON form kept in a list or dict field ({"code", "params", "text"})."""
        return {"code": self.code, "params": self.params, "text": self.in_language(settings.LANGUAGE_CODE)}

    def in_language(self, language: str | None) -> str:
        language = language or settings.LANGUAGE_CODE
        if translation.get_language() == language:  # a worker writing many (each rejected row's reason)
            return str(self)
        with translation.override(language):
            return str(self)


def text(code: str, **params) -> Text:
    return Text(code, params)


def entry(value, name: str) -> dict:
    """A text's three fields side by side (`name` as written in settings.LANGUAGE_CODE, `<name>_code`,
    `<name>_params`) for a text typed (a str), generated (a Text) or stored in a JSON list ({"code", …})."""
    if isinstance(value, Text):
        value = value.stored()
    if isinstance(value, dict):
        return {name: value.get("text", ""), f"{name}_code": value.get("code", ""),
                f"{name}_params": value.get("params") or {}}
    return {name: value or "", f"{name}_code": "", f"{name}_params": {}}


def fields(value, name: str) -> dict:
    """A model's stored columns for a text that is either typed (a str) or generated (a Text)."""
    out = entry(value, name)
    out[name] = out[name][:255]
    return out


def shown(obj, name: str) -> str:
    """The text `name` of a model (its `<name>_code`/`<name>_params` columns) or of a JSON entry (its keys, see
    `entry`) in the active language; as stored when it has no code."""
    if isinstance(obj, dict):
        return render(obj.get(f"{name}_code"), obj.get(f"{name}_params"), obj.get(name) or "")
    return render(getattr(obj, f"{name}_code", ""), getattr(obj, f"{name}_params", None), getattr(obj, name) or "")


def item(value) -> str:
    """One element of a JSON list of texts: a stored Text ({"code", …}) in the active language, a str as is."""
    if isinstance(value, dict):
        return render(value.get("code"), value.get("params"), value.get("text", ""))
    return "" if value is None else str(value)


def stored(value):
    """The JSON form of a text for a list or dict field: a Text as {"code", "params", "text"}, a str as is."""
    return value.stored() if isinstance(value, Text) else value


def code_of(value) -> dict:
    """{"code", "params"} of one stored element, for the API beside its rendered text ("" for a typed text)."""
    if isinstance(value, dict):
        return {"code": value.get("code", ""), "params": value.get("params") or {}}
    return {"code": "", "params": {}}


def user_language(user) -> str:
    """The language a message to `user` is written in: the user's own, else the site's."""
    profile = getattr(user, "staff_profile", None) if user is not None else None
    return getattr(profile, "language", "") or getattr(user, "language", "") or settings.LANGUAGE_CODE


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


def parser(codes, older: dict[str, list[str]] | None = None) -> Callable[[str], tuple[str, dict] | None]:
    """`parse` for many values: the templates of `codes` in each of the site's languages, compiled once;
    `older`: more templates per code, wordings since improved (a translation rows were written in)."""
    patterns = [(code, _pattern(template)) for code, templates in (older or {}).items() for template in templates]
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code in codes:
                template = _REGISTRY.get(code)
                if isinstance(template, Promise):
                    patterns.append((code, _pattern(str(template))))

    def parse_one(value: str) -> tuple[str, dict] | None:
        for code, pattern in patterns:
            match = pattern.match(value.strip())
            if match:
                return code, match.groupdict()
        return None

    return parse_one


def parse(value: str, codes) -> tuple[str, dict] | None:
    """The (code, params) of a text written out before it was stored as a code, in any of the site's
    languages (for data migrations of older rows); None when it is none of `codes`' templates."""
    return parser(codes)(value)
