"""Several weeks of settlement, the night run for each day, then the last day checked and a day rerun."""

import datetime

import pytest

from segmentation import services
from segmentation.models import ClientSegment, NightlyRun, SegmentTransition
from service.models import Task

from ..factories import ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(100)  # 20 weeks; the nights run over the last 6
NIGHTS = DAYS[-30:]


@pytest.fixture
def scenario(branches, staff):
    sh = branches[0]
    clients = {
        # Trades for six weeks, then stops, then stops: turns dormant inside the nights.
        "fading": ClientFactory(branch=sh, account_manager=staff["am1"], name="渐冷"),
        # A spot enterprise opened during the nights: a new hedger.
        "hedger": ClientFactory(branch=sh, account_manager=staff["am2"], client_type="spot_enterprise",
                                open_date=NIGHTS[10]),
        # Pulls most of its money and loses on the last days: high churn risk, no manager.
        "leaving": ClientFactory(branch=sh, account_manager=None, name="撤资"),
        # A scalper: flat every day, 60 lots a day.
        "scalper": ClientFactory(branch=sh, account_manager=staff["am1"], name="短线"),
    }
    b = Book()
    b.days(clients["fading"], DAYS[:30], equity=800_000, lots=4, position=1)
    b.days(clients["fading"], DAYS[30:], equity=800_000)
    b.days(clients["hedger"], DAYS[-20:], equity=6_000_000, lots=10, hedge=True, position=5)
    b.days(clients["leaving"], DAYS[:-3], equity=2_000_000, lots=3, position=1)
    b.days(clients["leaving"], DAYS[-3:], equity=600_000, withdrawal=500_000, position_profit=-200_000)
    b.days(clients["scalper"], DAYS, equity=300_000, lots=60)
    b.save()
    return clients


def test_six_weeks_of_nights(scenario, staff):
    runs = services.run_range(start=NIGHTS[0], end=NIGHTS[-1])
    assert len(runs) == 30 and {r.status for r in runs} == {"succeeded"}
    assert {r.mode for r in runs[1:]} == {"rolling"}
    seg = {k: ClientSegment.objects.get(client=c) for k, c in scenario.items()}
    assert (seg["fading"].volume, seg["fading"].fund_size) == ("dormant", "medium")
    assert (seg["hedger"].purpose, seg["hedger"].volume, seg["hedger"].fund_size, seg["hedger"].tenure) == (
        "hedger", "key_service", "large", "new")
    assert seg["scalper"].volume == "active"
    assert set(seg["leaving"].churn_signals) == {"equity_outflow", "heavy_loss"} and seg["leaving"].churn_score == 60

    # The fading client's volume history: it started ordinary, turned dormant on the 60th idle day.
    history = list(SegmentTransition.objects.filter(client=scenario["fading"], axis="volume").order_by("on_date"))
    assert [(h.source, h.from_value, h.to_value) for h in history] == [
        ("start", "", "ordinary"), ("rule", "ordinary", "dormant")]
    assert history[1].on_date == DAYS[29 + 60]  # the 60th trading day after its last traded day

    def who_was_dormant(on):
        latest = {}
        for h in SegmentTransition.objects.filter(axis="volume", on_date__lte=on).order_by("on_date", "id"):
            latest[h.client_id] = h.to_value
        return {cid for cid, v in latest.items() if v == "dormant"}

    assert scenario["fading"].pk not in who_was_dormant(history[1].on_date - datetime.timedelta(days=1))
    assert scenario["fading"].pk in who_was_dormant(history[1].on_date)

    tasks = {(t.client_id, t.kind): t for t in Task.objects.all()}
    assert tasks[(scenario["fading"].pk, "reactivation")].owner == staff["am1"]
    assert tasks[(scenario["hedger"].pk, "hedging_plan")].owner == staff["am2"]
    leaving = tasks[(scenario["leaving"].pk, "retention")]
    assert leaving.owner is None and leaving.branch == scenario["leaving"].branch
    assert len({key for key in tasks if key[1] != "return_visit"}) == 3  # new accounts also get return visits

    # Rerun a day in the middle and the last day: nothing duplicated, the same results.
    before = (list(ClientSegment.objects.order_by("client").values()),
              list(SegmentTransition.objects.order_by("id").values("client", "axis", "from_value", "to_value",
                                                                     "on_date", "source")),
              list(Task.objects.order_by("id").values("id", "client", "kind", "status")))
    services.run_night(day=NIGHTS[-1])
    services.run_night(day=NIGHTS[-1])
    after = (list(ClientSegment.objects.order_by("client").values()),
             list(SegmentTransition.objects.order_by("id").values("client", "axis", "from_value", "to_value",
                                                                    "on_date", "source")),
             list(Task.objects.order_by("id").values("id", "client", "kind", "status")))
    assert after == before
    assert NightlyRun.objects.filter(trade_date=NIGHTS[-1], status="succeeded").count() == 3
