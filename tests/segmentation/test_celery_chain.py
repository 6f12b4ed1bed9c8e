"""The nightly chain run by a real Celery worker on the real Redis broker."""

import pytest

from segmentation.models import ClientSegment, NightlyRun
from segmentation.tasks import nightly, nightly_chain

from ..factories import ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(65)


@pytest.mark.celery
def test_chain_runs_every_step_on_a_worker(celery_worker_live, branches):
    c = ClientFactory(branch=branches[0])
    Book().days(c, DAYS, equity=6_000_000, lots=3, position=1).save()
    chain = nightly_chain(DAYS[-2].isoformat())
    assert chain.tasks[0].name == "clients.import_drop_folder"  # the drop folder is imported first
    result = chain.apply_async()
    run_id = result.get(timeout=60)
    run = NightlyRun.objects.get(pk=run_id)
    assert run.status == "succeeded" and [s["name"] for s in run.steps] == [
        "prepare", "metrics", "axes", "signals", "value", "publish", "tasks", "indicators"]
    assert ClientSegment.objects.get(client=c).fund_size == "large"
    # Beat's entry point: the newest imported day; skipped once that day has a successful run.
    chain_id = nightly.delay(skip_done=True).get(timeout=30)
    from futures_crm.celery import app

    app.AsyncResult(chain_id).get(timeout=60)
    assert NightlyRun.objects.filter(trade_date=DAYS[-1], status="succeeded").count() == 1
    assert nightly.delay(skip_done=True).get(timeout=30) is None


@pytest.mark.celery
def test_sharded_chain_gives_the_same_results(celery_worker_live, branches):
    clients = [ClientFactory(branch=branches[0]) for _ in range(5)]
    b = Book()
    for i, c in enumerate(clients):
        b.days(c, DAYS, equity=100_000 * (i + 1) ** 3, lots=i, position=i % 2)
    b.save()
    nightly_chain(DAYS[-1].isoformat()).apply_async().get(timeout=60)
    single = list(ClientSegment.objects.order_by("client").values())
    run_id = nightly_chain(DAYS[-1].isoformat(), shards=2).apply_async().get(timeout=60)
    run = NightlyRun.objects.get(pk=run_id)
    assert run.status == "succeeded"
    assert {"metrics[0/2]", "metrics[1/2]", "value[0/2]", "value[1/2]"} <= {s["name"] for s in run.steps}, run.steps
    assert list(ClientSegment.objects.order_by("client").values()) == single
