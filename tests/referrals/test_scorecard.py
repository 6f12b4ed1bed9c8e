"""The intermediary scorecard: a month's figures per intermediary against hand sums (to the cent), the ranking in
the branch, the scope per role on the page and the API, the XLSX export, Chinese."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client as Browser
from django.urls import reverse

from referrals import scorecard, services
from referrals.models import Intermediary, RebateStatement
from tests.factories import PASSWORD, ClientFactory

from .conftest import link, settle

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)
WEEKDAYS = [datetime.date(2026, 11, d) for d in range(2, 28) if datetime.date(2026, 11, d).weekday() < 5]


@pytest.fixture
def month(book, staff, branches):
    """SH01: IB001 (steady all month, a joiner from the 10th, a leaver until the 16th) and IB002 (the leaver from the
    16th, a client whose equity went negative on the 20th); BJ01: IB003. IB001's statement is confirmed, IB002's is
    a draft (not paid)."""
    sh, bj = branches
    ib1 = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=Decimal("0.4000"), branch=sh,
                                      contract_end=datetime.date(2030, 12, 31))
    ib2 = Intermediary.objects.create(code="IB002", name="吴居间", rebate_rate=Decimal("0.3000"), branch=sh,
                                      contract_end=datetime.date(2030, 12, 31))
    ib3 = Intermediary.objects.create(code="IB003", name="郑居间", rebate_rate=Decimal("0.3000"), branch=bj)
    steady, joiner, leaver, sunk = (ClientFactory(branch=sh, name=n, account_manager=staff["am1"])
                                    for n in ("长期", "新来", "转走", "穿仓"))
    link(steady, ib1)
    link(joiner, ib1, since=datetime.date(2026, 11, 10))
    link(leaver, ib1, until=datetime.date(2026, 11, 16))
    link(leaver, ib2, since=datetime.date(2026, 11, 16))
    link(sunk, ib2)
    link(ClientFactory(branch=bj, name="北京客户"), ib3)
    for d in WEEKDAYS:
        settle(steady, d, equity="250000.55", commission="33.33", exchange_fee="11.11")
        settle(joiner, d, equity="12345.67", commission="7.77", exchange_fee="2.59")
        settle(leaver, d, equity="99999.99", commission="12.35", exchange_fee="4.12")
    settle(sunk, datetime.date(2026, 11, 20), equity="-500.00")
    settle(steady, datetime.date(2026, 10, 30), commission="1000", exchange_fee="1")  # another month
    settle(steady, datetime.date(2026, 12, 1), commission="1000", exchange_fee="1")
    statement = services.rebate_statement_draft(intermediary=ib1, month=NOV, by=staff["compliance"])
    services.rebate_statement_confirm(statement=statement, by=staff["compliance"])
    services.rebate_statement_draft(intermediary=ib2, month=NOV, by=staff["compliance"])
    return ib1, ib2, ib3


def page(user, language="en"):
    b = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert b.login(username=user.username, password=PASSWORD)
    return b


def test_figures_match_hand_sums(month):
    ib1, ib2, ib3 = month
    figures = scorecard.monthly_figures([ib1.pk, ib2.pk, ib3.pk], NOV)
    # IB001: steady 20 days × 33.33 (net 22.22), joiner 14 days × 7.77 (net 5.18), leaver 10 days × 12.35 (net 8.23).
    # Rebate 40% of each client's net, rounded per client: 177.76 + 29.01 + 32.92.
    assert figures[ib1.pk] == {
        "clients": 2, "new_clients": 1, "equity": Decimal("262346.22"), "commission": Decimal("898.88"),
        "net_commission": Decimal("599.22"), "rebate": Decimal("239.69"), "retained": Decimal("359.53"),
        "over_trading": 0, "negative_equity": 0, "converging": 0, "warning_signs": 0}
    assert RebateStatement.objects.get(intermediary=ib1).total == Decimal("239.69")
    # IB002: the leaver's last 10 days, a draft statement (no rebate paid), one client below zero on the 20th.
    assert figures[ib2.pk] == {
        "clients": 2, "new_clients": 1, "equity": Decimal("99999.99"), "commission": Decimal("123.50"),
        "net_commission": Decimal("82.30"), "rebate": Decimal("0.00"), "retained": Decimal("82.30"),
        "over_trading": 0, "negative_equity": 1, "converging": 0, "warning_signs": 1}
    assert figures[ib3.pk]["clients"] == 1 and figures[ib3.pk]["commission"] == Decimal("0.00")
    assert scorecard.monthly_figures([ib1.pk], datetime.date(2026, 12, 1))[ib1.pk]["net_commission"] == Decimal(
        "999.00")


def test_ranking_in_the_branch(month, staff, branches):
    by_money = scorecard.branch_scorecard(staff["compliance"], branches[0], NOV)
    assert [(r["code"], r["rank"]) for r in by_money] == [("IB001", 1), ("IB002", 2)]
    by_signs = scorecard.branch_scorecard(staff["compliance"], branches[0], NOV, "warning_signs")  # fewer first
    assert [(r["code"], r["rank"]) for r in by_signs] == [("IB001", 1), ("IB002", 2)]
    by_clients = scorecard.branch_scorecard(staff["compliance"], branches[0], NOV, "clients")  # a tie shares 1
    assert [r["rank"] for r in by_clients] == [1, 1]


@pytest.mark.parametrize(("who", "branch", "status", "codes"), [
    ("compliance", "SH01", 200, ["IB001", "IB002"]), ("head", "BJ01", 200, ["IB003"]),
    ("admin", "", 200, ["IB003"]),  # the first branch by code
    ("bm_sh", "", 200, ["IB001", "IB002"]), ("bm_bj", "SH01", 404, None), ("bm_bj", "", 200, ["IB003"]),
    ("am1", "", 403, None), ("agent", "", 403, None), ("marketing", "", 403, None),
])
def test_scope_per_role_on_the_page_and_the_api(month, staff, api, who, branch, status, codes):
    query = {"month": "2026-11", **({"branch": branch} if branch else {})}
    response = page(staff[who]).get(reverse("referrals:scorecard"), query)
    assert response.status_code == status
    answer = api(staff[who]).get("/api/intermediary-scorecard/", query)
    assert answer.status_code == status
    if status == 200:
        html = response.content.decode()
        assert [c for c in ("IB001", "IB002", "IB003") if f'data-code="{c}"' in html] == codes
        assert [i["code"] for i in answer.json()["intermediaries"]] == codes


def test_page_shows_figures_and_exports_xlsx(month, staff):
    browser = page(staff["compliance"])
    html = browser.get(reverse("referrals:scorecard"), {"month": "2026-11", "branch": "SH01"}).content.decode()
    row = html.split('data-code="IB001"')[1].split("</tr>")[0]
    for text in ("262,346.22", "898.88", "599.22", "239.69", "359.53"):
        assert text in row, text
    response = browser.get(reverse("referrals:scorecard"), {"month": "2026-11", "branch": "SH01",
                                                            "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Rank", "Intermediary code", "Intermediary", "Clients linked")
    assert rows[1][:3] == (1, "IB001", "周居间") and rows[2][:2] == (2, "IB002")
    values = dict(zip(rows[0], rows[1], strict=True))
    assert (values["Net commission"], values["Rebate paid"], values["Warning signs"]) == (599.22, 239.69, 0)


def test_api_money_as_strings_and_bad_parameters(month, staff, api):
    body = api(staff["compliance"]).get("/api/intermediary-scorecard/", {"month": "2026-11", "branch": "SH01",
                                                                   "sort": "rebate"}).json()
    assert body["branch"] == "SH01" and body["sort"] == "rebate"
    first = body["intermediaries"][0]
    assert (first["code"], first["rank"], first["figures"]["rebate"], first["figures"]["clients"]) == (
        "IB001", 1, "239.69", 2)
    for query in ({"month": "2026-13"}, {"sort": "salary"}):
        assert api(staff["compliance"]).get("/api/intermediary-scorecard/", query).status_code == 400
        assert page(staff["compliance"]).get(reverse("referrals:scorecard"), query).status_code == 400


def test_chinese_page(month, staff):
    html = page(staff["bm_sh"], "zh-hans").get(reverse("referrals:scorecard"), {"month": "2026-11"}).content.decode()
    for word in ("居间人考核", "名下客户数", "已付返佣", "预警信号", "排名"):
        assert word in html, word


def test_query_count_does_not_grow_with_the_intermediaries(month, staff, branches):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            scorecard.branch_scorecard(staff["compliance"], branches[0], NOV)
        return len(ctx.captured_queries)

    before = queries()
    for n in range(4, 9):
        ib = Intermediary.objects.create(code=f"IB00{n}", name=f"居间{n}", rebate_rate=Decimal("0.2"),
                                         branch=branches[0])
        client = ClientFactory(branch=branches[0])
        link(client, ib)
        for d in WEEKDAYS[:3]:
            settle(client, d, commission="1.00")
    assert len(scorecard.branch_scorecard(staff["compliance"], branches[0], NOV)) == 7
    assert queries() == before
