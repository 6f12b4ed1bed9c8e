"""The account-manager scorecard: monthly figures from constructed snapshots against hand sums (to the cent), the
ranking, targets and their permissions (refused writes change nothing), the scope per role, export, Chinese."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse

from segmentation import scorecard
from segmentation.models import IndicatorSnapshot, ScorecardTarget
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
FEB = datetime.date(2025, 2, 1)


def snap(code, day, **figures):
    return IndicatorSnapshot.objects.create(scope="manager", code=code, on_date=day, **figures)


@pytest.fixture
def snapshots(staff):
    """AM001: January's end (churned 2), two February days, a March day; AM002: one February day."""
    snap("AM001", datetime.date(2025, 1, 31), clients=9, churned=2, net_commission=Decimal("999.99"), new=5)
    snap("AM001", datetime.date(2025, 2, 3), clients=10, new=1, contacts=3, tasks_created=2,
         net_commission=Decimal("100.10"), tickets_resolved=2, tickets_within_deadline=1,
         avg_satisfaction=Decimal("4.50"), equity=Decimal("1000.00"), churned=2, retention_rate=Decimal("0.9000"),
         overdue_tasks=1)
    snap("AM001", datetime.date(2025, 2, 28), clients=11, new=2, reactivated=1, contacts=4, tasks_created=1,
         net_commission=Decimal("200.25"), tickets_resolved=2, tickets_within_deadline=2,
         avg_satisfaction=Decimal("4.00"), equity=Decimal("2000.55"), churned=3, retention_rate=Decimal("0.8500"),
         overdue_tasks=0)
    snap("AM001", datetime.date(2025, 3, 3), clients=12, new=7, net_commission=Decimal("1.00"), churned=3)
    snap("AM002", datetime.date(2025, 2, 28), clients=5, new=1, net_commission=Decimal("500.00"),
         equity=Decimal("300.00"), churned=0, contacts=1)
    snap("E0", datetime.date(2025, 2, 28), clients=99, net_commission=Decimal("9999.00"))  # not a SH manager


def page(user, language="en"):
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def test_monthly_figures_match_hand_sums(snapshots):
    figures = scorecard.monthly_figures(["AM001", "AM002"], FEB, FEB)
    assert set(figures) == {("AM001", FEB), ("AM002", FEB)}
    am1 = figures[("AM001", FEB)]
    assert {k: am1[k] for k in scorecard.FIGURE_KEYS} == {
        "new": 3, "clients": 11, "equity": Decimal("2000.55"), "net_commission": Decimal("300.35"),
        "retention_rate": Decimal("0.8500"), "churned": 1, "reactivated": 1, "tasks_created": 3,
        "overdue_tasks": 0, "tickets_within_deadline_rate": Decimal("0.7500"),
        "avg_satisfaction": Decimal("4.25"), "contacts": 7, "tasks_due": 0, "tasks_on_time_rate": None}
    assert figures[("AM002", FEB)]["churned"] is None  # no previous month to measure churn against


def test_tasks_done_on_time_against_hand_counts(snapshots, staff, book, api):
    """February: am1's clients have four tasks due (one cancelled aside): done on the due day (Shanghai time, late
    in the evening UTC-wise), done early, done a day late, still open → 2 of 4; a task due in March and am2's task
    count elsewhere; the month with tasks but no snapshot still shows them."""
    from service.models import Task

    tz = datetime.timezone(datetime.timedelta(hours=8))

    def task(client, kind, due, status="open", done=None):
        done = datetime.datetime(*done, tzinfo=tz) if done else None
        return Task.objects.create(client=client, kind=kind, due_on=due, status=status, done_at=done)

    task(book["zhang"], "retention", datetime.date(2025, 2, 10), "done", (2025, 2, 10, 23, 30))
    task(book["zhang"], "care", datetime.date(2025, 2, 20), "done", (2025, 2, 1, 9, 0))
    task(book["zhao"], "retention", datetime.date(2025, 2, 14), "done", (2025, 2, 15, 0, 5))
    task(book["zhao"], "care", datetime.date(2025, 2, 27))
    task(book["zhao"], "call_back", datetime.date(2025, 2, 5), "cancelled")
    task(book["zhang"], "call_back", datetime.date(2025, 4, 1), "done", (2025, 3, 1))
    task(book["li"], "retention", datetime.date(2025, 2, 3), "done", (2025, 2, 3, 8, 0))
    figures = scorecard.monthly_figures(["AM001", "AM002"], FEB, datetime.date(2025, 4, 1))
    assert (figures[("AM001", FEB)]["tasks_due"], figures[("AM001", FEB)]["tasks_on_time_rate"]) == (4, Decimal("0.5"))
    assert figures[("AM002", FEB)]["tasks_on_time_rate"] == Decimal("1")
    april = figures[("AM001", datetime.date(2025, 4, 1))]
    assert (april["tasks_due"], april["tasks_on_time_rate"], april.get("net_commission")) == (1, Decimal("1"), None)
    assert figures[("AM001", datetime.date(2025, 3, 1))]["tasks_on_time_rate"] is None
    ScorecardTarget.objects.create(manager=staff["am1"], month=FEB, tasks_on_time_rate=Decimal("0.8"))
    html = page(staff["bm_sh"]).get(reverse("segmentation:scorecard"), {"month": "2025-02"}).content.decode()
    row = html.split('data-code="AM001"')[1].split("</tr>")[0]
    assert "50.0%" in row and 'data-progress="tasks_on_time_rate">62.5%' in row
    body = api(staff["bm_sh"]).get("/api/scorecard/", {"month": "2025-02"}).json()
    assert [m["figures"]["tasks_on_time_rate"] for m in body["managers"]] == ["1.0000", "0.5000"]


def test_manager_history_months_newest_first(snapshots, staff):
    rows = scorecard.manager_history(staff["am1"], datetime.date(2025, 3, 1), months=3)
    assert [(r["month"], r["figures"]["new"] if r["figures"] else None) for r in rows] == [
        (datetime.date(2025, 3, 1), 7), (FEB, 3), (datetime.date(2025, 1, 1), 5)]
    assert rows[0]["figures"]["churned"] == 0  # 3 at March's end against 3 at February's


def test_branch_ranking_by_chosen_figure(snapshots, branches):
    sh = branches[0]
    by_commission = scorecard.branch_scorecard(sh, FEB, "net_commission")
    assert [(r["code"], r["rank"]) for r in by_commission] == [("AM002", 1), ("AM001", 2)]
    by_churn = scorecard.branch_scorecard(sh, FEB, "churned")  # fewer is better; unknown comes last, unranked
    assert [(r["code"], r["rank"]) for r in by_churn] == [("AM001", 1), ("AM002", None)]
    by_contacts = scorecard.branch_scorecard(sh, FEB, "contacts")
    assert [(r["code"], r["rank"]) for r in by_contacts] == [("AM001", 1), ("AM002", 2)]


def test_rank_shares_places_on_ties():
    rows = [{"figures": {"new": n}} for n in (3, 5, 3, 1)]
    assert [r["rank"] for r in scorecard.rank(rows, "new")] == [1, 2, 2, 4]


def test_branch_page_shows_progress_against_targets_and_exports(snapshots, staff):
    ScorecardTarget.objects.create(manager=staff["am1"], month=FEB, new=6, net_commission=Decimal("600.70"),
                                   retention_rate=Decimal("0.8500"))
    browser = page(staff["bm_sh"])
    html = browser.get(reverse("segmentation:scorecard"), {"month": "2025-02"}).content.decode()
    row = html.split('data-code="AM001"')[1].split("</tr>")[0]
    assert "2,000.55" in row and "300.35" in row and "85.0%" in row and "75.0%" in row
    assert 'data-progress="new">50.0%' in row and 'data-progress="net_commission">50.0%' in row
    assert 'data-progress="retention_rate">100.0%' in row
    assert reverse("segmentation:scorecard-manager", args=["AM001"]) in row
    response = browser.get(reverse("segmentation:scorecard"), {"month": "2025-02", "export": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[1][:2] == ["1", "李经理 (AM002)"] and lines[2][0] == "2" and "300.35" in lines[2]


@pytest.mark.parametrize(("who", "status"), [
    ("bm_sh", 200), ("bm_bj", 404), ("head", 200), ("admin", 200), ("marketing", 200), ("agent", 403)])
def test_branch_page_scope(snapshots, staff, who, status):
    response = page(staff[who]).get(reverse("segmentation:scorecard"), {"month": "2025-02", "branch": "SH01"})
    assert response.status_code == status
    if status == 200:
        assert b'data-code="AM001"' in response.content and b'data-code="E0"' not in response.content


def test_account_manager_sees_only_their_own(snapshots, staff):
    browser = page(staff["am1"])
    response = browser.get(reverse("segmentation:scorecard"), {"month": "2025-02"})
    assert response.status_code == 302 and "/scorecard/AM001/" in response["Location"]
    own = browser.get(reverse("segmentation:scorecard-manager", args=["AM001"]), {"month": "2025-02"})
    assert own.status_code == 200 and b'data-month="2025-02"' in own.content
    assert b"set-targets" not in own.content
    assert browser.get(reverse("segmentation:scorecard-manager", args=["AM002"])).status_code == 404
    assert page(staff["bm_bj"]).get(reverse("segmentation:scorecard-manager", args=["AM001"])).status_code == 404


@pytest.mark.parametrize("query", [{"month": "2025-13"}, {"month": "feb"}, {"sort": "salary"}])
def test_bad_parameters_are_400(snapshots, staff, query):
    response = page(staff["head"]).get(reverse("segmentation:scorecard"), query)
    assert response.status_code == 400 and next(iter(query)) in response.content.decode()


TARGET = {"month": "2025-02", "new": "6", "net_commission": "600.70", "equity": "", "contacts": "10",
          "retention_rate": "90", "tasks_on_time_rate": "95"}


@pytest.mark.parametrize(("who", "status"), [
    ("bm_sh", 302), ("head", 302), ("admin", 302), ("bm_bj", 404), ("am1", 403), ("am2", 403),
    ("marketing", 403), ("compliance", 403)])
def test_who_sets_targets(staff, who, status):
    url = reverse("segmentation:scorecard-target", args=["AM001"])
    response = page(staff[who]).post(url, TARGET)
    assert response.status_code == status
    targets = list(ScorecardTarget.objects.values_list("new", "net_commission", "equity", "contacts",
                                                       "retention_rate", "tasks_on_time_rate"))
    if status == 302:
        assert targets == [(6, Decimal("600.70"), None, 10, Decimal("0.9000"), Decimal("0.9500"))]
    else:
        assert targets == []  # a refused write changes nothing


def test_target_service_refuses_the_same(staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        scorecard.scorecard_target_set(by=staff["bm_bj"], manager=staff["am1"], month=FEB, values={"new": 1})
    with pytest.raises(PermissionDenied):
        scorecard.scorecard_target_set(by=staff["am1"], manager=staff["am1"], month=FEB, values={"new": 1})
    assert not ScorecardTarget.objects.exists()


def test_target_form_errors_and_edit(staff):
    browser = page(staff["bm_sh"])
    url = reverse("segmentation:scorecard-target", args=["AM001"])
    bad = browser.post(url, TARGET | {"month": "2025-2", "new": "-1"})
    assert bad.status_code == 200 and bad.context["form"].errors.keys() == {"month", "new"}
    assert not ScorecardTarget.objects.exists()
    browser.post(url, TARGET)
    browser.post(url, TARGET | {"new": "8"})
    assert list(ScorecardTarget.objects.values_list("new", flat=True)) == [8]
    form = browser.get(url, {"month": "2025-02"}).content.decode()
    assert 'value="90.00"' in form and 'value="8"' in form and 'value="95.00"' in form


def test_chinese_pages(snapshots, staff):
    ScorecardTarget.objects.create(manager=staff["am1"], month=FEB, new=6)
    html = page(staff["bm_sh"], "zh-hans").get(reverse("segmentation:scorecard"), {"month": "2025-02"})
    text = html.content.decode()
    for word in ("客户经理考核", "排名", "新开户数", "完成率", "留存手续费"):
        assert word in text, word
    history = page(staff["bm_sh"], "zh-hans").get(reverse("segmentation:scorecard-manager", args=["AM001"]),
                                                  {"month": "2025-02"}).content.decode()
    assert "目标" in history and "设定目标" in history


def test_api_answers_the_branch_scorecard_with_money_as_strings(snapshots, staff, api):
    ScorecardTarget.objects.create(manager=staff["am1"], month=FEB, new=6, net_commission=Decimal("600.70"))
    body = api(staff["bm_sh"]).get("/api/scorecard/", {"month": "2025-02", "sort": "net_commission"}).json()
    assert (body["month"], body["branch"], [m["code"] for m in body["managers"]]) == (
        "2025-02", "SH01", ["AM002", "AM001"])
    am1 = body["managers"][1]
    assert am1["rank"] == 2 and am1["figures"]["net_commission"] == "300.3500" and am1["figures"]["new"] == 3
    assert am1["progress"]["new"] == "50.0" and am1["targets"]["net_commission"] == "600.7000"
    assert body["managers"][0]["targets"] is None


@pytest.mark.parametrize(("who", "query", "status", "codes"), [
    ("am1", {}, 200, ["AM001"]), ("am1", {"branch": "BJ01"}, 404, None), ("bm_sh", {}, 200, ["AM002", "AM001"]),
    ("bm_bj", {"branch": "SH01"}, 404, None), ("head", {"branch": "SH01"}, 200, ["AM002", "AM001"]),
    ("agent", {}, 403, None), ("head", {"month": "2025-2"}, 400, "month"), ("head", {"sort": "x"}, 400, "sort"),
])
def test_api_scope_and_bad_parameters(snapshots, staff, api, who, query, status, codes):
    response = api(staff[who]).get("/api/scorecard/", {"month": "2025-02", **query})
    assert response.status_code == status
    if status == 200:
        assert [m["code"] for m in response.json()["managers"]] == codes
    elif status == 400:
        assert codes in response.json()
