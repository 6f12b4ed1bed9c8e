"""A hook: every door that shows a client's unmasked personal data reports it here, once per request.

The privacy app registers the recorder (it writes the access log, one insert per request); this module
only names the fields and keeps the archive free of an import of the app above it.
"""

from collections.abc import Callable, Iterable

# What a reader who sees personal data sees unmasked (the ID number only after a reveal).
CONTACT_FIELDS = ("phone", "phone_alt", "email", "address", "birthday")

_RECORDERS: list[Callable] = []


def register(recorder: Callable) -> None:
    if recorder not in _RECORDERS:
        _RECORDERS.append(recorder)


def personal_data_shown(request, client_ids: Iterable[int], fields: Iterable[str], via: str = "page") -> None:
    """Report that `request` showed `fields` of these clients unmasked (nothing shown: nothing recorded)."""
    ids, fields = sorted({int(i) for i in client_ids}), list(fields)
    if not ids or not fields:
        return
    for recorder in _RECORDERS:
        recorder(by=request.user, client_ids=ids, fields=fields, via=via, path=request.path[:255])
