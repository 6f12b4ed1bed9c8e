"""The nightly run raises suitability mismatch alerts and opens renewal tasks, once however often it reruns."""

import datetime

from clients.models import SuitabilityAlert, SuitabilityAssessment
from service.models import Task

from .conftest import weekdays

DAYS = weekdays(64)


def test_the_night_matches_and_opens_renewals_once(trader, night):
    SuitabilityAssessment.objects.create(client=trader, investor_class="ordinary", risk_level="C2",
                                         assessed_on=DAYS[0], expires_on=DAYS[-1] + datetime.timedelta(days=10))
    trader.risk_level = "C2"
    trader.save(update_fields=["risk_level"])
    first = night(DAYS[-1])
    tasks_step = next(s for s in first.steps if s["name"] == "tasks")
    assert tasks_step["rows"]["suitability_alerts"] == 1 and tasks_step["rows"]["suitability_renewals"] == 1
    night(DAYS[-1], full=True)  # the night rerun
    alert = SuitabilityAlert.objects.get(client=trader)
    assert (alert.product.code, alert.product_level, alert.client_level, alert.trade_date) == (
        "rb", "R3", "C2", DAYS[-1])
    task = Task.objects.get(client=trader, kind="suitability_renewal")
    assert task.status == "open" and task.owner == trader.account_manager
