"""Starting a night: a refusal is an answer (409 naming the run, 400 for a day without settlement, the page's
form says what is wrong), a killed run is stale after two minutes of silence, a live one beats, and a step
delivered twice is done once."""

import contextlib
import datetime
import time

import pytest
from django.db import transaction
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from futures_crm.celery import app
from segmentation import services, tasks
from segmentation.models import ClientSegment, NightlyRun, SegmentTransition

from ..factories import PASSWORD, ClientFactory
from .conftest import Book, held_in_another_session, weekdays

DAYS = weekdays(64)  # the trader's days

def browser(user, language="en"):
    b = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert b.login(username=user.username, password=PASSWORD)
    return b


def _age(run, **delta):
    NightlyRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(**delta))


# ---------------------------------------------------------------- the API


def test_api_start_opens_the_run_and_answers_202_with_it(trader, staff, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = api(staff["head"]).post("/api/segmentation/runs/start/", {"trade_date": DAYS[-1]}, format="json")
    assert r.status_code == 202, r.content
    run = NightlyRun.objects.get(pk=r.json()["run"])
    assert run.status == "running" and run.trade_date == DAYS[-1] and run.triggered_by == staff["head"]
    assert r.json()["url"].endswith(f"/api/segmentation/runs/{run.pk}/") and len(callbacks) == 1


def test_api_start_while_a_run_is_live_is_409_naming_it(trader, staff, api):
    live = services.run_open(day=DAYS[-2])
    r = api(staff["head"]).post("/api/segmentation/runs/start/", {}, format="json")
    assert r.status_code == 409
    assert r.json()["run"] == live.pk and r.json()["trade_date"] == DAYS[-2].isoformat()
    assert f"#{live.pk}" in r.json()["detail"] and DAYS[-2].isoformat() in r.json()["detail"]
    assert NightlyRun.objects.count() == 1  # nothing queued, nothing recorded


def test_api_start_for_a_day_without_settlement_is_400(trader, staff, api):
    for day in ["2025-01-04", "0850-05-07", "9999-12-31"]:  # a Saturday, long ago, far ahead
        r = api(staff["head"]).post("/api/segmentation/runs/start/", {"trade_date": day}, format="json")
        assert r.status_code == 400 and "no settlement data" in r.json()["trade_date"][0], r.content
    r = api(staff["head"]).post("/api/segmentation/runs/start/", {"trade_date": "2025-13-45"}, format="json")
    assert r.status_code == 400 and "trade_date" in r.json()
    assert not NightlyRun.objects.exists()


def test_api_start_with_no_settlement_at_all_is_400(staff, api):
    r = api(staff["head"]).post("/api/segmentation/runs/start/", {}, format="json")
    assert r.status_code == 400 and "No settlement data" in r.json()["trade_date"][0]


def test_api_start_in_chinese_names_the_run_in_chinese(trader, staff, api):
    services.run_open(day=DAYS[-2])
    client = api(staff["head"])
    r = client.post("/api/segmentation/runs/start/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 409 and "夜间" in r.json()["detail"]


# ---------------------------------------------------------------- the page


def test_page_run_now_with_an_invalid_date_says_what_is_wrong_and_keeps_it(trader, staff):
    for language, said in [("en", "Enter a valid date."), ("zh-hans", "请输入有效日期。")]:
        r = browser(staff["head"], language).post(reverse("segmentation:runs"), {"day": "2025-02-30"})
        html = r.content.decode()
        assert r.status_code == 200 and said in html and 'value="2025-02-30"' in html
    assert not NightlyRun.objects.exists()


def test_page_run_now_for_a_day_without_settlement_says_so(trader, staff):
    r = browser(staff["head"]).post(reverse("segmentation:runs"), {"day": "2025-01-04"})
    assert r.status_code == 200 and "2025-01-04 has no settlement data" in r.content.decode()
    r = browser(staff["head"], "zh-hans").post(reverse("segmentation:runs"), {"day": "2025-01-04"})
    assert "2025-01-04 没有结算数据" in r.content.decode()


def test_page_run_now_while_a_run_is_live_names_it(trader, staff):
    live = services.run_open(day=DAYS[-2])
    r = browser(staff["head"]).post(reverse("segmentation:runs"), {"day": DAYS[-1].isoformat()})
    html = r.content.decode()
    assert r.status_code == 200 and f"Nightly run #{live.pk} for {DAYS[-2].isoformat()}" in html
    assert f'value="{DAYS[-1].isoformat()}"' in html and NightlyRun.objects.count() == 1


def test_page_run_now_starts_it_and_says_which(trader, staff, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)  # the chain runs here, not on a broker
    b = browser(staff["head"])
    with django_capture_on_commit_callbacks(execute=True):
        r = b.post(reverse("segmentation:runs"), {"day": DAYS[-1].isoformat()}, follow=True)
    run = NightlyRun.objects.get()
    assert f"Nightly run #{run.pk} for {DAYS[-1].isoformat()} has been started." in r.content.decode()
    assert run.status == "succeeded"  # the chain ran after the commit


# ---------------------------------------------------------------- staleness and the heartbeat


def test_a_run_silent_for_two_minutes_is_stale_and_taken_over(trader, settings):
    assert settings.NIGHTLY_STALE_MINUTES == 2
    quiet = services.run_open(day=DAYS[-2])
    _age(quiet, seconds=100)
    with pytest.raises(services.NightlyLocked) as refused:
        services.run_open(day=DAYS[-1])
    assert refused.value.run == quiet
    _age(quiet, seconds=130)
    run = services.run_open(day=DAYS[-1])
    quiet.refresh_from_db()
    assert quiet.status == "failed" and "abandoned" in quiet.error and run.status == "running"


@pytest.mark.django_db(transaction=True)
def test_a_long_step_beats_so_its_run_is_never_taken_for_stale(branches, settings, monkeypatch):
    """The heartbeat thread writes through its own connection while the step's transaction is open."""
    c = ClientFactory(branch=branches[0])
    Book().days(c, DAYS, equity=100).save()
    settings.NIGHTLY_HEARTBEAT_SECONDS = 0.2
    run = services.run_open(day=DAYS[-1])
    _age(run, minutes=5)
    seen = {}
    real_prepare = services.STEPS["prepare"]

    def slow_prepare(r):
        time.sleep(1)
        seen["heartbeat"] = NightlyRun.objects.values_list("heartbeat_at", flat=True).get(pk=r.pk)
        seen["live"] = services.live_run()
        return real_prepare(r)

    monkeypatch.setitem(services.STEPS, "prepare", slow_prepare)
    services.run_step(run.pk, "prepare")
    assert timezone.now() - seen["heartbeat"] < datetime.timedelta(seconds=2)
    assert seen["live"] == run  # a start now would be refused
    assert [s["name"] for s in NightlyRun.objects.get(pk=run.pk).steps] == ["prepare"]


# ---------------------------------------------------------------- a step delivered twice


def test_a_step_already_recorded_is_skipped_when_delivered_again(trader, night):
    run = night(DAYS[-1])
    transitions = SegmentTransition.objects.count()
    segments = list(ClientSegment.objects.values())
    # The broker hands "publish" out again (its worker died after the commit, before the acknowledgement).
    assert services.run_step(run.pk, "publish") == run.pk
    assert SegmentTransition.objects.count() == transitions and list(ClientSegment.objects.values()) == segments
    run.refresh_from_db()
    assert run.status == "succeeded" and len(run.steps) == len(services.STEP_NAMES)


@pytest.mark.django_db(transaction=True)
def test_a_second_copy_of_a_step_at_work_is_refused_and_leaves_the_run_alone(branches):
    c = ClientFactory(branch=branches[0])
    Book().days(c, DAYS, equity=100).save()
    run = services.run_open(day=DAYS[-1])

    @contextlib.contextmanager
    def prepare_at_work():  # what the first copy's worker holds while it works
        with transaction.atomic():
            assert services._step_lock(run.pk, "prepare")
            yield

    with held_in_another_session(prepare_at_work):
        with pytest.raises(services.NightlyLocked):
            services.run_step(run.pk, "prepare")
        run.refresh_from_db()
        assert run.status == "running" and run.steps == []
    services.run_step(run.pk, "prepare")
    assert [s["name"] for s in NightlyRun.objects.get(pk=run.pk).steps] == ["prepare"]


def test_nightly_tasks_acknowledge_late_and_workers_prefetch_one():
    for task in [tasks.nightly, tasks.nightly_start, tasks.nightly_shard, tasks.nightly_backfill,
                 *tasks.STEP_TASKS.values()]:
        assert task.acks_late and task.reject_on_worker_lost, task.name
    assert app.conf.worker_prefetch_multiplier == 1


def test_run_chain_is_the_steps_of_an_opened_run():
    chain = tasks.run_chain(42)
    assert [t.name for t in chain.tasks] == [f"segmentation.nightly_{n}" for n in services.STEP_NAMES]
    assert chain.tasks[0].args == (42,) and chain.tasks[0].immutable
