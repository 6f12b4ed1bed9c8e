"""What apps above clients add to the client list: filters, sort keys, and who counts as a key client.

The clients app knows its own fields only. An app that adds facts about clients (segmentation: the
segments, churn score, loyalty) registers them here from its AppConfig.ready(), as it registers a
client-page panel (panels.py):
- `filters` (URL parameter → django-filter Filter): ClientFilterSet and its subclasses offer them, so the
  client list page, its CSV export, the API (and its schema) and campaign targeting all read them;
- `sorts` ((field path, `ordering` value, label) triples): added to the FilterSet's `ordering`;
- `key_clients` (a Q on Client): clients that count as key besides those marked by hand (`key_client_q`);
- `figures` (code → label): the dashboard figures that link to the list with `?figure=code`; the list's
  banner names the figure it explains (`registered_figures`).
"""

from dataclasses import dataclass, field

from django.db.models import Q

from .filtersets import ClientFilterSet


@dataclass(frozen=True)
class ListFilters:
    key: str
    filters: dict = field(default_factory=dict)
    sorts: tuple = ()
    key_clients: Q | None = None
    figures: dict = field(default_factory=dict)


CLIENT_LIST_FILTERS: dict[str, ListFilters] = {}


def register(contribution: ListFilters) -> None:
    CLIENT_LIST_FILTERS[contribution.key] = contribution
    ClientFilterSet.contribute(filters=contribution.filters, sorts=contribution.sorts)


def key_client_q() -> Q:
    """Clients marked key by hand, or key by what a registered app knows of them (a large fund, say)."""
    q = Q(is_key=True)
    for contribution in CLIENT_LIST_FILTERS.values():
        if contribution.key_clients is not None:
            q |= contribution.key_clients
    return q


def registered_figures() -> dict:
    """Every dashboard figure the client list explains: code → label."""
    return {code: label for contribution in CLIENT_LIST_FILTERS.values()
            for code, label in contribution.figures.items()}
