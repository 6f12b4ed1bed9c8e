"""Sections of the client 360 page contributed by other apps.

An app registers a panel in its AppConfig.ready(); the client page renders every panel the
viewer's role may see, in `order`. `context` gets (client, user) and returns the template's context.
It is given by dotted path ("app.module.function"), imported when a client page first renders it:
registering must not import views (and through them exports, openpyxl…) into every process's start.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.utils.module_loading import import_string

from futures_crm.roles import Role


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: str | Callable  # a function (client, user) -> dict, or its dotted path (preferred, see above)
    order: int = 100
    roles: frozenset = field(default_factory=lambda: frozenset(Role))


CLIENT_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    CLIENT_PANELS[panel.key] = panel


def panels_for(client, user, role) -> list[dict]:
    """The panels `role` may see, each with its rendered context."""
    return [
        {"key": p.key, "template": p.template, "ctx": _function(p.context)(client, user)}
        for p in sorted(CLIENT_PANELS.values(), key=lambda p: p.order)
        if role in p.roles
    ]


@cache
def _function(context: str | Callable) -> Callable:
    return import_string(context) if isinstance(context, str) else context
