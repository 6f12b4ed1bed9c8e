"""Indicator history: the nightly snapshot per firm, branch, account manager and intermediary, its rebuild and
backfill, and GET /api/indicators/ (shape, money as strings, scope per role, bad parameters)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from clients.models import ContactLog
from segmentation.models import ClientSegment, IndicatorSnapshot
from service.models import Survey, Task, Ticket

from ..factories import ClientFactory, make_staff
from .conftest import Book, weekdays

pytestmark = pytest.mark.django_db

D1, D2, D3 = DAYS = weekdays(3)


def at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _created(obj, when):
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


@pytest.fixture
def world(branches, staff):
    """Five clients with hand-chosen money, a task, tickets, contacts and surveys (sums below by hand)."""
    sh, bj = branches
    c = {
        "a": ClientFactory(branch=sh, account_manager=staff["am1"], intermediary_code="IB01"),
        "b": ClientFactory(branch=sh, account_manager=staff["am2"]),
        "c": ClientFactory(branch=bj),
        "n": ClientFactory(branch=sh, account_manager=staff["am1"], open_date=D3),  # opened on D3
        "x": ClientFactory(branch=bj, status="closed", close_date=D2, churn_reason="poached"),
    }
    book = Book()
    book.days(c["a"], [D1, D2], equity="1000000.50", commission="12.34", exchange_fee="2.10", lots=4)
    book.days(c["a"], [D3], equity="1000000.50", commission="12.34", exchange_fee="2.10", deposit="100.00", lots=4)
    book.days(c["b"], [D1, D2], equity="250000.25", commission="5.55", exchange_fee="1.11", lots=2)
    book.days(c["b"], [D3], equity="250000.25", commission="5.55", exchange_fee="1.11", withdrawal="50.05", lots=2)
    book.days(c["c"], DAYS, equity="80000.00")
    book.days(c["n"], [D3], equity="10000.00")
    book.days(c["x"], [D1], equity="500.00")
    book.save()
    overdue = Task.objects.create(client=c["a"], kind="retention", due_on=D2, title="call")
    _created(overdue, at(D1, 10))
    done = Task.objects.create(client=c["a"], kind="retention", due_on=D3 + datetime.timedelta(days=7),
                               status="done", done_at=at(D3, 11))
    _created(done, at(D1, 10))
    complaint = Ticket.objects.create(client=c["b"], ticket_type="complaint", channel="phone", subject="s",
                                      deadline=at(D3, 18), status="resolved", resolved_at=at(D3, 12))
    _created(complaint, at(D3, 9))
    late = Ticket.objects.create(client=c["b"], ticket_type="trading_consultation", channel="phone", subject="q",
                                 deadline=at(D2, 12))
    _created(late, at(D2, 9))
    ContactLog.objects.create(client=c["a"], contacted_at=at(D3, 10), channel="phone", summary="hello")
    ContactLog.objects.create(client=c["a"], contacted_at=at(D2, 20), channel="phone", summary="evening")
    Survey.objects.create(client=c["a"], answered_on=D1, satisfaction=9)
    Survey.objects.create(client=c["b"], answered_on=D2, satisfaction=6)
    return c


def snap(day, scope, code=""):
    return IndicatorSnapshot.objects.get(on_date=day, scope=scope, code=code)


@pytest.fixture
def nights(world, night):
    for day in DAYS:
        night(day)
    return world


def test_the_night_writes_each_scope_summed_by_hand_to_the_cent(nights):
    firm = snap(D3, "firm")
    assert (firm.clients, firm.new) == (4, 1)  # the closed client left on D2; the new one opened on D3
    assert firm.equity == Decimal("1340000.75")
    assert firm.net_deposits == Decimal("49.95")
    assert (firm.commission, firm.net_commission, firm.lots) == (Decimal("17.89"), Decimal("14.68"), 6)
    sh = snap(D3, "branch", "SH01")
    assert (sh.clients, sh.equity, sh.net_commission, sh.lots) == (3, Decimal("1260000.75"), Decimal("14.68"), 6)
    am1 = snap(D3, "manager", "AM001")
    assert (am1.clients, am1.new, am1.equity, am1.net_deposits) == (2, 1, Decimal("1010000.50"), Decimal("100.00"))
    assert (am1.commission, am1.net_commission, am1.lots) == (Decimal("12.34"), Decimal("10.24"), 4)
    assert snap(D3, "intermediary", "IB01").equity == Decimal("1000000.50")
    bj = snap(D3, "branch", "BJ01")
    assert (bj.clients, bj.equity, bj.churned, bj.churned_inevitable, bj.churned_accidental) == (
        1, Decimal("80000.00"), 1, 1, 0)
    assert snap(D1, "firm").equity == Decimal("1330500.75") and snap(D1, "firm").clients == 4


def test_service_figures_of_the_day(nights):
    firm, am1 = snap(D3, "firm"), snap(D3, "manager", "AM001")
    assert (am1.open_tasks, am1.overdue_tasks) == (1, 1)  # the other was done on D3
    assert (snap(D2, "manager", "AM001").open_tasks, snap(D2, "manager", "AM001").overdue_tasks) == (2, 0)
    assert (firm.open_tickets, firm.overdue_tickets) == (1, 1)
    assert (firm.tickets_resolved, firm.tickets_within_deadline, firm.complaints, firm.tickets_opened) == (1, 1, 1, 1)
    assert (firm.contacts, snap(D2, "firm").contacts) == (1, 1)  # 20:00 on D2 counts on D2
    assert firm.avg_satisfaction == Decimal("7.50") and am1.avg_satisfaction == Decimal("9.00")
    assert snap(D1, "firm").avg_satisfaction == Decimal("9.00")


def test_the_nights_own_results_agree_with_the_segments(nights):
    firm = snap(D3, "firm")
    in_book = ClientSegment.objects.exclude(client__status="closed").exclude(client__open_date__gt=D3)
    assert sum(firm.segments["volume"].values()) == firm.clients == in_book.count()
    assert firm.lifetime_value == sum(s.lifetime_value or 0 for s in in_book)
    assert firm.high_risk == in_book.filter(churn_score__gte=50).count()
    assert firm.loyal == in_book.filter(loyal=True).count()
    assert firm.policy_version == 1 and firm.top20_share is not None


@pytest.mark.parametrize("scope, code, clients", [
    ("firm", "", {}), ("branch", "SH01", {"client__branch__code": "SH01"}),
    ("manager", "AM001", {"client__account_manager__username": "am1"}),
])
def test_averages_and_counts_of_a_scope_equal_hand_figures(nights, scope, code, clients):
    """The scope's figures are summed per branch, manager and intermediary first: its average churn score is
    still the average over its clients, and its active, segmented and unassigned clients their counts."""
    row = snap(D3, scope, code)
    segmented = ClientSegment.objects.filter(**clients)
    in_book = segmented.exclude(client__status="closed").exclude(client__open_date__gt=D3)
    scores = [s.churn_score for s in in_book]
    assert row.avg_churn_score == (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert row.active == in_book.filter(churned=False).exclude(volume="dormant").count()
    assert (row.segmented, row.segmented_unassigned) == (
        segmented.count(), segmented.filter(client__account_manager=None).count())
    assert row.segmented == {"firm": 5, "branch": 3, "manager": 2}[scope]


def test_rerunning_a_day_rewrites_that_day_only(nights, night):
    before = {r.pk: r for r in IndicatorSnapshot.objects.exclude(on_date=D2)}
    old_d2 = set(IndicatorSnapshot.objects.filter(on_date=D2).values_list("pk", flat=True))
    night(D2)
    after = {r.pk: r for r in IndicatorSnapshot.objects.exclude(on_date=D2)}
    assert after.keys() == before.keys()
    assert all(after[pk].equity == r.equity and after[pk].clients == r.clients and after[pk].segments == r.segments
               for pk, r in before.items())
    new_d2 = set(IndicatorSnapshot.objects.filter(on_date=D2).values_list("pk", flat=True))
    assert new_d2 and not new_d2 & old_d2  # deleted and written again
    assert snap(D2, "firm").equity == Decimal("1330000.75")


def test_backfill_by_run_nightly_from_to(world):
    call_command("run_nightly", "--from", D1.isoformat(), "--to", D3.isoformat())
    assert sorted(set(IndicatorSnapshot.objects.values_list("on_date", flat=True))) == DAYS
    assert IndicatorSnapshot.objects.filter(on_date=D2, scope="manager").count() == 2


def test_rebuild_indicators_rewrites_history_and_keeps_the_nights_figures(nights):
    d1_state = snap(D1, "firm").segments
    IndicatorSnapshot.objects.filter(on_date=D2).delete()
    IndicatorSnapshot.objects.filter(on_date=D1).update(equity=0)
    call_command("rebuild_indicators", "--from", D1.isoformat(), "--to", D3.isoformat())
    assert snap(D1, "firm").equity == Decimal("1330500.75") and snap(D1, "firm").segments == d1_state
    # D2 was not stored: what history holds (x closed on D2), without the night's own results.
    d2 = snap(D2, "firm")
    assert (d2.equity, d2.clients, d2.segments, d2.high_risk) == (Decimal("1330000.75"), 3, None, None)
    assert snap(D3, "firm").high_risk is not None  # the newest results are as of D3


# ---------------------------------------------------------------- the API


def test_api_answers_the_series_with_money_as_strings(nights, api, staff):
    body = api(staff["head"]).get("/api/indicators/", {"scope": "firm", "from": D1.isoformat(),
                                                        "to": D3.isoformat()}).json()
    assert (body["scope"], body["code"], body["from"], body["to"]) == ("firm", "", D1.isoformat(), D3.isoformat())
    assert [p["date"] for p in body["series"]] == [d.isoformat() for d in DAYS]
    last = body["series"][-1]
    assert last["equity"] == "1340000.75" and last["net_commission"] == "14.68" and last["clients"] == 4
    assert isinstance(last["lifetime_value"], str) and isinstance(last["high_risk"], int)
    assert {"churned", "segments", "retention_rate", "contacts_per_client"} <= last.keys()
    assert last["contacts_per_client"] == "0.2500"


SCOPES = {  # who: {(scope, code): status}
    "admin": {("firm", ""): 200, ("branch", "BJ01"): 200, ("manager", "AM002"): 200, ("intermediary", "IB01"): 200},
    "compliance": {("firm", ""): 200, ("branch", "SH01"): 200},
    "bm_sh": {("firm", ""): 403, ("branch", "SH01"): 200, ("branch", "BJ01"): 404, ("manager", "AM001"): 200,
              ("manager", "AM002"): 200, ("manager", "AM999"): 404},
    "bm_bj": {("branch", "BJ01"): 200, ("branch", "SH01"): 404, ("manager", "AM001"): 404},
    "am1": {("manager", "AM001"): 200, ("manager", "AM002"): 404, ("firm", ""): 403, ("branch", "SH01"): 403,
            ("intermediary", "IB01"): 403},
    "agent": {("firm", ""): 403, ("manager", "AM001"): 403},
}


@pytest.mark.parametrize("who", sorted(SCOPES))
def test_api_scope_per_role(nights, api, staff, who):
    rest = api(staff[who])
    for (scope, code), status in SCOPES[who].items():
        response = rest.get("/api/indicators/", {"scope": scope, "code": code, "from": D1.isoformat(),
                                                 "to": D3.isoformat()})
        assert response.status_code == status, (who, scope, code, response.content)
        if status == 200:
            assert len(response.json()["series"]) == 3


def test_api_branch_manager_reads_intermediaries_of_their_branch(nights, api, staff, branches):
    from referrals.models import Intermediary

    Intermediary.objects.create(code="IB01", name="居间人", branch=branches[0])
    assert api(staff["bm_sh"]).get("/api/indicators/", {"scope": "intermediary", "code": "IB01"}).status_code == 200
    assert api(staff["bm_bj"]).get("/api/indicators/", {"scope": "intermediary", "code": "IB01"}).status_code == 404


@pytest.mark.parametrize("query, field", [
    ({}, "scope"),
    ({"scope": "galaxy"}, "scope"),
    ({"scope": "branch"}, "code"),
    ({"scope": "firm", "from": "2025-13-01"}, "from"),
    ({"scope": "firm", "to": "yesterday"}, "to"),
    ({"scope": "firm", "from": "2025-03-01", "to": "2025-02-01"}, "from"),
    ({"scope": "firm", "from": "2020-01-01", "to": "2025-01-01"}, "from"),
    ({"scope": "firm", "from": "0001-01-01", "to": "9999-12-31"}, "from"),
])
def test_api_bad_parameters_are_400_naming_the_parameter(db, api, staff, query, field):
    response = api(staff["admin"]).get("/api/indicators/", query)
    assert response.status_code == 400 and field in response.json(), response.content


def test_api_reason_is_in_the_callers_language(db, api, staff):
    query = {"scope": "firm", "from": "2025-03-01", "to": "2025-02-01"}
    english = api(staff["admin"]).get("/api/indicators/", query, HTTP_ACCEPT_LANGUAGE="en").json()["from"][0]
    chinese = api(staff["admin"]).get("/api/indicators/", query, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["from"][0]
    assert english == "Must be on or before “to”." and chinese != english


def test_api_refuses_the_anonymous_and_a_staff_member_without_role(db, api):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/indicators/", {"scope": "firm"}).status_code in (401, 403)
    nobody = make_staff("account_manager", username="left_am")
    nobody.staff_profile.is_active = False
    nobody.staff_profile.save()
    assert api(nobody).get("/api/indicators/", {"scope": "manager", "code": "x"}).status_code == 403
