"""Sections of the client 360 page contributed by other apps.

An app registers a panel in its AppConfig.ready(); the client page renders every panel the
viewer's role may see, in `order`. `context` gets (client, user) and returns the template's context.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from futures_crm.roles import Role


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable
    order: int = 100
    roles: frozenset = field(default_factory=lambda: frozenset(Role))


CLIENT_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    CLIENT_PANELS[panel.key] = panel


def panels_for(client, user, role) -> list[dict]:
    """The panels `role` may see, each with its rendered context."""
    return [
        {"key": p.key, "template": p.template, "ctx": p.context(client, user)}
        for p in sorted(CLIENT_PANELS.values(), key=lambda p: p.order)
        if role in p.roles
    ]
