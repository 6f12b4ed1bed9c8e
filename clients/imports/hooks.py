"""What other apps add to a clients import, inside its transaction (registered from their AppConfig.ready).

The clients app never imports those apps: `referrals` registers how a clients file's referrer and
intermediary columns become referrals and intermediary links.
"""

from collections.abc import Callable

CLIENTS_IMPORTED: list[Callable] = []


def register_clients_imported(hook: Callable) -> None:
    """`hook(clients=<queryset of the file's clients>, by=<user or None>)` runs after every clients file."""
    if hook not in CLIENTS_IMPORTED:
        CLIENTS_IMPORTED.append(hook)


def clients_imported(*, clients, by) -> None:
    """Run every registered hook on the clients a file just wrote (the queryset is valid only during the call)."""
    for hook in CLIENTS_IMPORTED:
        hook(clients=clients, by=by)
