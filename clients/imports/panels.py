"""The client page's settlement panel: recent account days and open risk alerts."""

from ..panels import Panel, register
from ..selectors import recent_settlement_days


def context(client, user):
    return {
        "days": recent_settlement_days(client),
        "alerts": list(client.settlement_alerts.filter(acknowledged_at__isnull=True).order_by("-trade_date")[:10]),
    }


def register_panels() -> None:
    register(Panel(key="settlement", template="clients/imports/_settlement_panel.html",
                   context="clients.imports.panels.context", order=20))
