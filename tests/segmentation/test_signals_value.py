"""Churn signals and score, churned, lifetime value and loyalty: every rule and boundary."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from segmentation.models import ClientSegment
from segmentation.services import policy_create
from service.models import Survey, Task, Ticket

from ..factories import ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(81)
D = DAYS[-1]


@pytest.fixture
def client(branches, staff):
    return ClientFactory(branch=branches[0], account_manager=staff["am1"])


def signals(client, day=D):
    return ClientSegment.objects.get(client=client).churn_signals


# ---- equity_outflow: withdrawals − deposits over 20 days ≥ 50% of equity 20 trading days ago


@pytest.mark.parametrize(("withdrawn", "holds"), [("600000", True), ("599999.99", False)])
def test_equity_outflow_boundary(client, night, withdrawn, holds):
    b = Book().days(client, DAYS[:-21], equity=0).days(client, [DAYS[-21]], equity=1_000_000)
    b.days(client, DAYS[-20:-1], equity=900_000).days(client, [D], equity=400_000, withdrawal=withdrawn,
                                                      deposit=100_000).save()
    night(D)
    assert ("equity_outflow" in signals(client)) is holds


def test_equity_outflow_counts_only_the_last_20_days(client, night):
    b = Book().days(client, DAYS[:-22], equity=1_000_000).days(client, [DAYS[-22]], equity=1_000_000,
                                                                  withdrawal=900_000)
    b.days(client, DAYS[-21:], equity=1_000_000).save()
    night(D)
    assert "equity_outflow" not in signals(client)


# ---- volume_drop: lots(20) ≤ 30% of lots(the 60 days before) ÷ 3, which were > 0


@pytest.mark.parametrize(("recent", "holds"), [(60, True), (61, False)])
def test_volume_drop_boundary(client, night, recent, holds):
    # 600 lots over the 60 days before: 200 per 20 days; 30% of that is 60.
    b = Book().days(client, DAYS[:-80], equity=100).days(client, DAYS[-80:-20], equity=100, lots=10, position=1)
    b.days(client, DAYS[-20:-1], equity=100).days(client, [D], equity=100, lots=recent, position=1).save()
    night(D)
    assert ("volume_drop" in signals(client)) is holds


def test_no_volume_drop_without_earlier_volume(client, night):
    Book().days(client, DAYS, equity=100).save()
    night(D)
    assert "volume_drop" not in signals(client)


# ---- heavy_loss: net P&L(20) ≤ −30% of equity 20 days ago


@pytest.mark.parametrize(("loss", "fee", "holds"), [("-299000", "1000", True), ("-299000", "999.99", False)])
def test_heavy_loss_boundary_with_commission_counted(client, night, loss, fee, holds):
    b = Book().days(client, DAYS[:-21], equity=5).days(client, [DAYS[-21]], equity=1_000_000)
    b.days(client, DAYS[-20:-1], equity=1_000_000).days(client, [D], equity=700_000, position_profit=loss,
                                                          commission=fee).save()
    night(D)
    assert ("heavy_loss" in signals(client)) is holds


# ---- complaint_overdue, orphaned


def test_complaint_overdue_until_resolved(client, night):
    Book().days(client, DAYS, equity=100).save()
    ticket = Ticket.objects.create(client=client, ticket_type="complaint", channel="phone", subject="x",
                                   deadline=timezone.make_aware(datetime.datetime.combine(D, datetime.time(9))))
    Ticket.objects.create(client=client, ticket_type="complaint", channel="phone", subject="not yet due",
                          deadline=timezone.now() + datetime.timedelta(days=30))
    night(D)
    assert "complaint_overdue" in signals(client)
    ticket.status = "resolved"
    ticket.save()
    night(D)
    assert "complaint_overdue" not in signals(client)


def test_orphaned_when_the_manager_left_not_when_never_assigned(branches, staff, night):
    left = ClientFactory(branch=branches[0], account_manager=staff["am2"])
    never = ClientFactory(branch=branches[0], account_manager=None)
    Book().days(left, DAYS, equity=100).days(never, DAYS, equity=100).save()
    staff["am2"].staff_profile.is_active = False
    staff["am2"].staff_profile.save()
    night(D)
    assert "orphaned" in signals(left)
    assert "orphaned" not in signals(never)


# ---- turned_dormant: the volume axis became dormant in the last 20 trading days


def test_turned_dormant_for_20_trading_days(client, night):
    days = weekdays(142)
    Book().days(client, days[:60], equity=100, lots=2, position=1).days(client, days[60:], equity=100).save()
    # Last traded day is days[59]; dormant from days[119] (60 days without a traded day).
    for d in days[116:142]:
        night(d)
        seg = ClientSegment.objects.get(client=client)
        turned = days[119] <= d <= days[138]
        assert ("turned_dormant" in seg.churn_signals) is turned, d


# ---- score, cap, tasks


def test_score_sums_weights_and_caps_at_100(client, staff, night):
    b = Book().days(client, DAYS[:-21], equity=5).days(client, [DAYS[-21]], equity=1_000_000)
    b.days(client, DAYS[-20:-1], equity=1_000_000).days(client, [D], equity=100, withdrawal=600_000,
                                                          position_profit=-400_000).save()
    night(D)
    seg = ClientSegment.objects.get(client=client)
    assert set(seg.churn_signals) == {"equity_outflow", "heavy_loss"} and seg.churn_score == 60
    policy_create(params={"w_equity_outflow": "70", "w_heavy_loss": "45"}, note="test", by=staff["head"])
    night(D)
    assert ClientSegment.objects.get(client=client).churn_score == 100


@pytest.mark.parametrize(("weight", "task"), [("50", True), ("49", False)])
def test_retention_task_at_score_50(client, staff, night, weight, task):
    policy_create(params={"w_equity_outflow": weight}, note="test", by=staff["head"])
    b = Book().days(client, DAYS[:-21], equity=5).days(client, [DAYS[-21]], equity=1_000_000)
    b.days(client, DAYS[-20:], equity=1_000_000, withdrawal=30_000).save()
    night(D)
    tasks = Task.objects.filter(client=client, kind="retention")
    assert tasks.exists() is task
    if task:
        assert tasks.get().owner == staff["am1"]


def test_retention_task_without_manager_is_unassigned_on_the_branch(branches, night):
    c = ClientFactory(branch=branches[0], account_manager=None)
    b = Book().days(c, DAYS[:-21], equity=5).days(c, [DAYS[-21]], equity=1_000_000)
    b.days(c, DAYS[-20:], equity=100, withdrawal=40_000, position_profit=-20_000).save()
    night(D)
    night(D)
    task = Task.objects.get(client=c, kind="retention")
    assert task.owner is None and task.branch == branches[0] and task.status == "open"


# ---- churned


@pytest.mark.parametrize(("equity", "traded_day", "churned"), [
    ("999.99", None, True), ("1000", None, False), ("999.99", -120, False), ("999.99", -121, True)])
def test_churned_after_120_idle_days_below_1000(branches, night, equity, traded_day, churned):
    days = weekdays(130)
    c = ClientFactory(branch=branches[0], open_date=days[0] - datetime.timedelta(days=1))
    b = Book().days(c, days, equity=equity)
    if traded_day is not None:
        b.contract(c, days[traded_day], lots=1)
    b.save()
    night(days[-1])
    assert ClientSegment.objects.get(client=c).churned is churned


def test_closed_account_is_churned(branches, night):
    c = ClientFactory(branch=branches[0], status="closed")
    Book().days(c, DAYS, equity=1_000_000, lots=100).save()
    night(D)
    assert ClientSegment.objects.get(client=c).churned


# ---- lifetime value


def test_lifetime_value_example_of_the_rules(branches, night):
    days = weekdays(250)
    d = days[-1]
    c = ClientFactory(branch=branches[0], birthday=d.replace(year=d.year - 30), open_date=datetime.date(2015, 1, 5))
    # 3,000 lots a year at 4 CNY net a lot: 12 lots and 48 CNY net a day (60 commission − 12 exchange fee).
    Book().days(c, days, equity=100_000, lots=12, commission=60, exchange_fee=12).save()
    night(d)
    assert ClientSegment.objects.get(client=c).lifetime_value == Decimal("360000.00")


def test_young_account_commission_is_scaled_to_250_days(branches, night):
    days = weekdays(250)
    c = ClientFactory(branch=branches[0], client_type="institution", open_date=days[125])
    Book().days(c, days[125:], equity=100_000, commission=96, exchange_fee=0).save()  # 125 days × 96
    ClientFactory(branch=branches[1])  # the calendar needs the older days too:
    Book().days(ClientFactory(branch=branches[1]), days, equity=1).save()
    night(days[-1])
    assert ClientSegment.objects.get(client=c).lifetime_value == Decimal("240000.00")  # 24,000 × 10 years


@pytest.mark.parametrize(("kind", "age", "years"), [
    ("individual", 59, 1), ("individual", 65, 1), ("individual", 58, 2), ("individual", None, 10),
    ("institution", 30, 10)])
def test_remaining_years(branches, night, kind, age, years):
    c = ClientFactory(branch=branches[0], client_type=kind,
                      birthday=D.replace(year=D.year - age) if age is not None else None)
    Book().days(c, weekdays(250)[-250:], equity=1, commission=4).save()
    day = weekdays(250)[-1]
    night(day)
    assert ClientSegment.objects.get(client=c).lifetime_value == Decimal(1000 * years)


# ---- loyalty


@pytest.fixture
def loyal_client(branches):
    c = ClientFactory(branch=branches[0], open_date=D - datetime.timedelta(days=30))
    Book().days(c, DAYS, equity=100).save()
    return c


def _loyalty(client, night):
    night(D)
    seg = ClientSegment.objects.get(client=client)
    return seg.loyalty_points, seg.loyal, seg.loyalty_criteria


def test_exclusive_counts_the_latest_survey(loyal_client, night):
    Survey.objects.create(client=loyal_client, answered_on=D - datetime.timedelta(days=90), trades_elsewhere=True)
    Survey.objects.create(client=loyal_client, answered_on=D - datetime.timedelta(days=9), trades_elsewhere=False)
    assert _loyalty(loyal_client, night) == (1, False, ["exclusive"])
    Survey.objects.create(client=loyal_client, answered_on=D, trades_elsewhere=True)
    assert _loyalty(loyal_client, night)[0] == 0


@pytest.mark.parametrize(("back", "point"), [(0, 1), (-1, 0)])
def test_long_tenure_from_three_years(branches, night, back, point):
    open_date = D.replace(year=D.year - 3) - datetime.timedelta(days=back)
    c = ClientFactory(branch=branches[0], open_date=open_date + datetime.timedelta(days=0))
    Book().days(c, DAYS, equity=100).save()
    assert _loyalty(c, night)[0] == point


def test_refers_when_a_referred_client_opened_an_account(loyal_client, branches, night):
    ClientFactory(branch=branches[0], referrer=loyal_client, open_date=None)
    assert _loyalty(loyal_client, night)[0] == 0
    ClientFactory(branch=branches[0], referrer=loyal_client, open_date=D)
    assert _loyalty(loyal_client, night)[2] == ["refers"]


@pytest.mark.parametrize(("score", "point"), [(9, 1), (8, 0)])
def test_praises_at_9_out_of_10(loyal_client, night, score, point):
    Survey.objects.create(client=loyal_client, answered_on=D - datetime.timedelta(days=5), satisfaction=score)
    Survey.objects.create(client=loyal_client, answered_on=D - datetime.timedelta(days=1), suggestion="no score")
    assert _loyalty(loyal_client, night)[0] == point


def test_loyal_at_three_points(loyal_client, branches, night):
    Survey.objects.create(client=loyal_client, answered_on=D, satisfaction=10, trades_elsewhere=False)
    assert _loyalty(loyal_client, night)[:2] == (2, False)
    ClientFactory(branch=branches[0], referrer=loyal_client, open_date=D)
    assert _loyalty(loyal_client, night) == (3, True, ["exclusive", "refers", "praises"])
