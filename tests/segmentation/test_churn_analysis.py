"""Churn analysis (issue 14): accounts closed in a date range by reason, kind, branch, manager and intermediary,
counted by hand on constructed clients, per role; every count opens the client list of exactly those clients;
the line over time is the stored snapshots'; each table exports."""

import datetime
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from segmentation import churn_analysis
from segmentation.models import IndicatorSnapshot
from tests.factories import ClientFactory
from tests.referrals.test_drilldown import browser, links_add_up

pytestmark = pytest.mark.django_db
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
RANGE = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def churned(staff, branches):
    sh, bj = branches
    am1, am2 = staff["am1"], staff["am2"]

    def closed(branch, manager, reason, day, intermediary=""):
        return ClientFactory(branch=branch, account_manager=manager, status="closed", close_date=day,
                             churn_reason=reason, intermediary_code=intermediary)

    return {
        "c1": closed(sh, am1, "poached", datetime.date(2026, 2, 1), "IB01"),
        "c2": closed(sh, am1, "losses", datetime.date(2026, 3, 1)),
        "c3": closed(sh, am2, "", END, "IB01"),  # the last day counts; no reason recorded
        "c4": closed(bj, None, "dropped", START),  # the first day counts
        "c5": closed(sh, am1, "left", START - datetime.timedelta(days=1)),  # before the range
        "c6": closed(sh, am2, "attracted", END + datetime.timedelta(days=1)),  # after it
        "c7": closed(bj, None, "taken_away", datetime.date(2026, 4, 10), "IB02"),
        "open": ClientFactory(branch=sh, account_manager=am1),
    }


def reasons(user):
    return {str(r["label"]): r["n"] for r in churn_analysis.by_reason(user, START, END)}


def grouped(rows):
    return {r["label"]: [c["n"] for c in r["cells"]] for r in rows}  # all, inevitable, accidental, no reason


def test_by_reason_counts_each_reason_and_the_seeds_two_kinds(staff, churned):
    assert reasons(staff["head"]) == {
        "Inevitable: deliberately dropped": 1, "Inevitable: poached by a competitor": 1,
        "Inevitable: forced to leave": 0, "Accidental: left on their own": 0, "Accidental: losing client": 1,
        "Accidental: attracted by another firm": 0,
        "Accidental: taken away by a departing employee or intermediary": 1,
        "Inevitable churn": 2, "Accidental churn": 2, "No reason recorded": 1, "All churned clients": 5}


def test_by_branch_manager_and_intermediary(staff, churned):
    head = staff["head"]
    assert grouped(churn_analysis.by_branch(head, START, END)) == {"上海营业部 (SH01)": [3, 1, 1, 1],
                                                                   "北京营业部 (BJ01)": [2, 1, 1, 0]}
    assert grouped(churn_analysis.by_manager(head, START, END)) == {
        "王经理 (AM001)": [2, 1, 1, 0], "李经理 (AM002)": [1, 0, 0, 1], "No account manager": [2, 1, 1, 0]}
    assert grouped(churn_analysis.by_intermediary(head, START, END)) == {
        "IB01": [2, 1, 0, 1], "IB02": [1, 0, 1, 0], "No intermediary": [2, 1, 1, 0]}


@pytest.mark.parametrize("who, expected", [
    ("am1", {"Inevitable churn": 1, "Accidental churn": 1, "No reason recorded": 0, "All churned clients": 2}),
    ("am2", {"Inevitable churn": 0, "Accidental churn": 0, "No reason recorded": 1, "All churned clients": 1}),
    ("bm_sh", {"Inevitable churn": 1, "Accidental churn": 1, "No reason recorded": 1, "All churned clients": 3}),
    ("bm_bj", {"Inevitable churn": 1, "Accidental churn": 1, "No reason recorded": 0, "All churned clients": 2}),
])
def test_each_role_counts_its_own_clients_only(staff, churned, who, expected):
    assert {k: v for k, v in reasons(staff[who]).items() if k in expected} == expected


def test_a_branch_manager_sees_their_branch_and_its_managers(staff, churned):
    assert grouped(churn_analysis.by_branch(staff["bm_bj"], START, END)) == {"北京营业部 (BJ01)": [2, 1, 1, 0]}
    assert grouped(churn_analysis.by_manager(staff["bm_bj"], START, END)) == {"No account manager": [2, 1, 1, 0]}
    assert grouped(churn_analysis.by_manager(staff["bm_sh"], START, END)) == {
        "王经理 (AM001)": [2, 1, 1, 0], "李经理 (AM002)": [1, 0, 0, 1]}


@pytest.mark.parametrize("who", ["head", "bm_sh", "bm_bj", "am1"])
def test_every_count_on_the_page_opens_that_many_clients(staff, churned, who):
    b = browser(staff[who])
    page = b.get(reverse("segmentation:churn"), RANGE).content.decode()
    banners = links_add_up(b, page)
    assert len(banners) == len(re.findall(r'href="/clients/\?', page)) > 10
    assert all("Accounts closed 2026-01-01 – 2026-06-30" in text for text in banners)


def test_an_account_manager_gets_no_branch_or_manager_table(staff, churned):
    page = browser(staff["am1"]).get(reverse("segmentation:churn"), RANGE).content.decode()
    assert 'id="churn-reason"' in page and 'id="churn-intermediary"' in page
    assert 'id="churn-branch"' not in page and 'id="churn-manager"' not in page


def test_the_page_reads_in_chinese(staff, churned):
    page = browser(staff["head"], "zh-hans").get(reverse("segmentation:churn"), RANGE).content.decode()
    assert "流失分析" in page and "必然流失" in page


def test_the_line_over_time_is_the_readers_snapshots(staff, churned, branches):
    def snap(day, scope, code, n):
        IndicatorSnapshot.objects.create(on_date=day, scope=scope, code=code, churned=n, churned_inevitable=1,
                                         churned_accidental=n - 2, churned_no_reason=1)

    for i, n in enumerate((4, 5, 7)):
        day = START + datetime.timedelta(days=i)
        snap(day, "firm", "", n + 10)
        snap(day, "branch", "SH01", n)
        snap(day, "manager", "AM001", 2)
    snap(END + datetime.timedelta(days=1), "firm", "", 99)  # after the range
    b = browser(staff["bm_sh"])
    response = b.get(reverse("segmentation:churn"), RANGE)
    chart = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>',
                                 response.content.decode()).group(1))
    assert chart["categories"] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert chart["series"][0]["data"] == [4, 5, 7] and chart["series"][2]["data"] == [2, 3, 5]
    export = b.get(reverse("segmentation:churn"), {**RANGE, "table": "trend", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0] == ("Date", "Churned", "Inevitable churn", "Accidental churn", "No reason recorded")
    assert [r[1] for r in rows[1:]] == [4, 5, 7]
    assert churn_analysis.churn_over_time(staff["head"], START, END)[0][1] == 14
    assert [r[1] for r in churn_analysis.churn_over_time(staff["am1"], START, END)] == [2, 2, 2]


def test_each_table_exports_what_it_shows(staff, churned):
    b = browser(staff["head"])
    response = b.get(reverse("segmentation:churn"), {**RANGE, "table": "branch", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows == [("Branch", "Churned", "Inevitable churn", "Accidental churn", "No reason recorded"),
                    ("北京营业部 (BJ01)", 2, 1, 1, 0), ("上海营业部 (SH01)", 3, 1, 1, 1)]  # by code
    csv = b"".join(b.get(reverse("segmentation:churn"), {**RANGE, "table": "reason", "export": "csv"})
                   .streaming_content).decode("utf-8-sig")
    assert "All churned clients,5" in csv


def test_the_api_filters_clients_as_the_links_do(staff, churned, api):
    r = api(staff["head"]).get("/api/clients/", {"closed_from": START, "closed_to": END, "churn_recorded": "false"})
    assert [c["id"] for c in r.json()["results"]] == [churned["c3"].pk]
    r = api(staff["head"]).get("/api/clients/", {"closed_from": START, "closed_to": END, "intermediary_code": "IB01",
                                                 "churn_kind": "inevitable"})
    assert [c["id"] for c in r.json()["results"]] == [churned["c1"].pk]


def test_only_analysis_roles_open_the_page(staff, churned):
    assert browser(staff["agent"]).get(reverse("segmentation:churn")).status_code == 403
    assert browser(staff["marketing"]).get(reverse("segmentation:churn")).status_code == 200
