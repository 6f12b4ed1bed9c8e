"""`manage.py run_nightly`: one day, the default day, a backfill range, and a refused day."""

import pytest
from django.core.management import CommandError, call_command

from segmentation.models import NightlyRun, SegmentTransition

from ..factories import ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(62)


@pytest.fixture
def trader(branches):
    c = ClientFactory(branch=branches[0])
    Book().days(c, DAYS[:2], equity=100, lots=3, position=1).days(c, DAYS[2:], equity=100).save()
    return c


def test_run_nightly_day_default_and_range(trader, capsys):
    call_command("run_nightly", "--date", DAYS[-3].isoformat())
    call_command("run_nightly")  # the newest imported day
    assert list(NightlyRun.objects.order_by("pk").values_list("trade_date", flat=True)) == [DAYS[-3], DAYS[-1]]
    call_command("run_nightly", "--from", DAYS[-3].isoformat(), "--to", DAYS[-1].isoformat())
    assert NightlyRun.objects.filter(status="succeeded").count() == 5
    out = capsys.readouterr().out
    assert "succeeded" in out and "metrics" in out
    # Backfilled day by day: the client turned dormant on DAYS[61] (60 days after its last traded day).
    change = SegmentTransition.objects.get(client=trader, axis="volume", source="rule")
    assert (change.from_value, change.to_value, change.on_date) == ("ordinary", "dormant", DAYS[61])


def test_run_nightly_refuses_a_day_without_settlement(trader):
    with pytest.raises(CommandError):
        call_command("run_nightly", "--date", "2024-01-01")
    assert not NightlyRun.objects.exists()
