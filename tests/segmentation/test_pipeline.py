"""Overrides, policy versions, the run record, reruns, rolling == full, the lock, a killed run."""

import datetime
import random

import pytest
from django.core import mail
from django.db import connection

from segmentation import engine, services
from segmentation.models import (
    ClientMetrics,
    ClientSegment,
    NightlyRun,
    SegmentOverride,
    SegmentTransition,
)
from service.models import Task

from ..factories import ClientFactory
from .conftest import Book, held_in_another_session, weekdays

DAYS = weekdays(64)


def test_override_wins_until_it_expires_then_the_rule_returns(trader, staff, night):
    night(DAYS[-4])
    assert ClientSegment.objects.get(client=trader).volume == "ordinary"
    pin = services.override_set(client=trader, axis="volume", value="key_service", reason="VIP hedging desk",
                                by=staff["bm_sh"], expires_on=DAYS[-2])
    # Shown at once, and kept as a person's transition.
    assert ClientSegment.objects.get(client=trader).volume == "key_service"
    person = SegmentTransition.objects.get(client=trader, axis="volume", source="person")
    assert (person.from_value, person.to_value, person.by, person.reason) == (
        "ordinary", "key_service", staff["bm_sh"], "VIP hedging desk")
    for day in DAYS[-3:-1]:  # through the expiry day, inclusive
        night(day)
        assert ClientSegment.objects.get(client=trader).volume == "key_service"
    night(DAYS[-1])
    assert ClientSegment.objects.get(client=trader).volume == "ordinary"
    back = SegmentTransition.objects.get(client=trader, axis="volume", source="rule")
    assert (back.from_value, back.to_value, back.on_date) == ("key_service", "ordinary", DAYS[-1])
    assert SegmentOverride.objects.get(pk=pin.pk).removed_at is None


def test_removed_override_no_longer_applies(trader, staff, night):
    night(DAYS[-2])
    pin = services.override_set(client=trader, axis="fund_size", value="large", reason="group account",
                                by=staff["head"])
    services.override_remove(pin=pin, by=staff["head"])
    night(DAYS[-1] + datetime.timedelta(days=0))
    assert ClientSegment.objects.get(client=trader).fund_size == "medium"


def test_new_policy_version_applies_from_the_next_run_and_history_keeps_its_version(trader, staff, night):
    first = night(DAYS[-2])
    assert first.policy_version == 1
    assert ClientSegment.objects.get(client=trader).fund_size == "medium"
    services.policy_create(params={"fund_medium": "700000"}, note="stricter", by=staff["head"])
    second = night(DAYS[-1])
    seg = ClientSegment.objects.get(client=trader)
    assert (second.policy_version, seg.policy_version, seg.fund_size) == (2, 2, "retail")
    first.refresh_from_db()
    assert first.policy_version == 1
    change = SegmentTransition.objects.get(client=trader, axis="fund_size", source="rule")
    assert change.policy_version == 2


def test_run_record_has_steps_durations_and_counts(trader, night):
    run = night(DAYS[-1])
    assert [s["name"] for s in run.steps] == services.STEP_NAMES
    assert all(s["seconds"] >= 0 for s in run.steps)
    assert run.steps[1]["rows"] == 1 and run.finished_at and run.status == "succeeded"


def test_first_classification_is_a_start_not_a_transition(trader, night):
    night(DAYS[-1])
    rows = SegmentTransition.objects.filter(client=trader)
    assert {r.source for r in rows} == {"start"} and rows.count() == 4


def test_rerun_of_a_day_gives_the_same_results_and_no_duplicates(branches, staff, night):
    c = ClientFactory(branch=branches[0], account_manager=staff["am1"])
    Book().days(c, DAYS[:-1], equity=1_000_000, lots=5, position=1).days(
        c, DAYS[-1:], equity=1_000_000, withdrawal=600_000, position_profit=-400_000).save()
    services.run_range(start=DAYS[-5], end=DAYS[-1])
    snapshot = list(ClientSegment.objects.values())
    transitions = list(SegmentTransition.objects.values("client", "axis", "from_value", "to_value", "on_date"))
    tasks = list(Task.objects.values("pk", "kind", "status"))
    assert "retention" in {t["kind"] for t in tasks}  # beside the new account's return visit
    night(DAYS[-1])
    night(DAYS[-1])
    assert list(ClientSegment.objects.values()) == snapshot
    assert list(SegmentTransition.objects.values("client", "axis", "from_value", "to_value", "on_date")) == transitions
    assert list(Task.objects.values("pk", "kind", "status")) == tasks


def test_rolling_sums_equal_a_full_rebuild(branches, night):
    rng = random.Random(7)
    days = weekdays(275)
    b = Book()
    clients = [ClientFactory(branch=branches[0], open_date=days[rng.randrange(0, 200)]) for _ in range(6)]
    for c in clients:
        for d in days:
            if rng.random() < 0.8:
                b.days(c, [d], equity=rng.randrange(0, 3_000_000), deposit=rng.choice([0, 0, 5000]),
                       withdrawal=rng.choice([0, 0, 7000]), commission=rng.randrange(0, 90), exchange_fee=3,
                       close_profit=rng.randrange(-9000, 9000))
            if rng.random() < 0.5:
                b.contract(c, d, lots=rng.randrange(0, 40), hedge=rng.random() < 0.4,
                           position=rng.choice([0, 0, 1]))
    b.save()
    night(days[200], full=True)
    for d in days[201:]:
        assert night(d).mode == "rolling"
    fields = [f.name for f in ClientMetrics._meta.fields]
    rolled = list(ClientMetrics.objects.order_by("client").values(*fields))
    segs = list(ClientSegment.objects.order_by("client").values())
    assert night(days[-1], full=True).mode == "full"
    assert list(ClientMetrics.objects.order_by("client").values(*fields)) == rolled
    assert list(ClientSegment.objects.order_by("client").values()) == segs


def test_a_failed_step_leaves_the_previous_night_and_alerts(trader, night, settings, monkeypatch):
    settings.ADMINS = [("Ops", "ops@example.com")]
    night(DAYS[-2])
    before = list(ClientSegment.objects.values())

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "stage_value", boom)
    with pytest.raises(RuntimeError):
        services.run_night(day=DAYS[-1])
    run = NightlyRun.objects.order_by("-pk").first()
    assert run.status == "failed" and "disk full" in run.error
    assert list(ClientSegment.objects.values()) == before
    assert mail.outbox and "failed" in mail.outbox[0].subject
    monkeypatch.undo()
    assert night(DAYS[-1]).status == "succeeded"
    assert ClientSegment.objects.get(client=trader).as_of == DAYS[-1]


def test_a_killed_run_is_taken_over_once_stale(trader, night, settings):
    """A run that died between steps (no heartbeat) does not block the next one forever."""
    run = services.run_start(day=DAYS[-1])
    services.run_step(run.pk, "metrics")
    with pytest.raises(services.NightlyLocked):
        services.run_night(day=DAYS[-1])
    NightlyRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at - datetime.timedelta(hours=1))
    assert night(DAYS[-1]).status == "succeeded"
    run.refresh_from_db()
    assert run.status == "failed" and "abandoned" in run.error


@pytest.mark.django_db(transaction=True)
def test_advisory_lock_refuses_a_second_concurrent_run(branches):
    c = ClientFactory(branch=branches[0])
    Book().days(c, DAYS, equity=100).save()
    with held_in_another_session(services.engine_lock):
        with pytest.raises(services.NightlyLocked):
            services.run_night(day=DAYS[-1])
        assert not NightlyRun.objects.exists()
    assert services.run_night(day=DAYS[-1]).status == "succeeded"
    with connection.cursor() as cur:  # and the lock is free again
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())", [services.LOCK_KEY])
        assert cur.fetchone()[0] == 0
