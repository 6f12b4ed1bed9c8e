"""The analysis charts: trends, segment migration, branch ranking — their table view (the chart's data) against
hand sums on constructed snapshots and transitions, the scope per role, the exports."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from segmentation.models import IndicatorSnapshot, SegmentTransition

D1, D2, D3 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3), datetime.date(2026, 3, 4)


def snap(day, scope, code, **figures):
    return IndicatorSnapshot.objects.create(on_date=day, scope=scope, code=code, **figures)


@pytest.fixture
def history(branches, staff):
    snap(D1, "firm", "", clients=10, equity=Decimal("1000.10"), net_commission=Decimal("5.05"), high_risk=1)
    snap(D2, "firm", "", clients=12, equity=Decimal("2000.20"), net_commission=Decimal("6.10"), high_risk=None)
    snap(D1, "branch", "SH01", clients=7, equity=Decimal("700.00"), net_commission=Decimal("3.00"))
    snap(D1, "branch", "BJ01", clients=3, equity=Decimal("300.10"), net_commission=Decimal("2.05"))
    snap(D2, "branch", "SH01", clients=8, equity=Decimal("800.00"), net_commission=Decimal("2.00"))
    snap(D2, "branch", "BJ01", clients=4, equity=Decimal("1200.20"), net_commission=Decimal("4.10"))
    snap(D2, "manager", "AM001", clients=2, equity=Decimal("150.00"), net_commission=Decimal("1.50"))
    snap(D2, "manager", "AM002", clients=1, equity=Decimal("50.00"), net_commission=Decimal("0.50"))


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def chart_of(response):
    html = response.content.decode()
    start = html.index('<script id="chart-data" type="application/json">') + len(
        '<script id="chart-data" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_trends_table_and_chart_are_the_snapshots(client, history, staff):
    r = page(client, staff["head"], "/segments/trends/?scope=firm:&start=2026-03-01&end=2026-03-31"
                                    "&series=clients&series=equity&series=high_risk")
    assert r.status_code == 200
    assert r.context["rows"] == [[D1, 10, Decimal("1000.10"), 1], [D2, 12, Decimal("2000.20"), None]]
    chart = chart_of(r)
    assert chart["categories"] == ["2026-03-02", "2026-03-03"]
    assert [s["data"] for s in chart["series"]] == [["10", "12"], ["1000.10", "2000.20"], ["1", None]]
    assert "2,000.20" in r.content.decode()


def test_trends_default_is_the_last_90_days_of_the_users_own_scope(client, history, staff):
    r = page(client, staff["bm_sh"], "/segments/trends/")
    assert r.status_code == 200 and r.context["rows"] == []  # the constructed days are long past
    assert (r.context["end"] - r.context["start"]).days == 90
    assert r.context["form"]["scope"].value() == "branch:SH01"
    r = client.get("/segments/trends/?scope=manager:AM002&start=2026-03-01&end=2026-03-31")
    assert r.context["rows"] == [[D2, 1, Decimal("50.00"), Decimal("0.50")]]


@pytest.mark.parametrize(("who", "scope", "status"), [
    ("am1", "manager:AM001", 200), ("am1", "manager:AM002", 404), ("am1", "branch:SH01", 404),
    ("am1", "firm:", 404), ("bm_sh", "branch:BJ01", 404), ("bm_sh", "firm:", 404), ("bm_sh", "manager:AM001", 200),
    ("head", "branch:BJ01", 200), ("agent", "firm:", 403),
])
def test_trends_scope_per_role(client, history, staff, who, scope, status):
    assert page(client, staff[who], f"/segments/trends/?scope={scope}").status_code == status


def test_trends_export_csv_and_xlsx_hold_the_table(client, history, staff):
    url = "/segments/trends/?scope=branch:BJ01&start=2026-03-01&end=2026-03-31&series=net_commission"
    r = page(client, staff["admin"], url + "&export=csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig").splitlines()
    assert text[1:] == ["2026-03-02,2.05", "2026-03-03,4.10"]
    r = client.get(url + "&export=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Date", "Net commission"], [datetime.datetime(2026, 3, 2), 2.05], [datetime.datetime(2026, 3, 3), 4.1]]


def test_branch_ranking_orders_the_days_snapshots(client, history, staff):
    r = page(client, staff["head"], "/segments/branch-ranking/?indicator=equity&day=2026-03-03")
    assert r.context["rows"] == [[1, "BJ01", "北京营业部 (BJ01)", Decimal("1200.20")],
                                 [2, "SH01", "上海营业部 (SH01)", Decimal("800.00")]]
    assert chart_of(r)["series"][0]["data"] == ["1200.20", "800.00"]
    r = client.get("/segments/branch-ranking/")  # default: net commission on the latest day
    assert [row[1] for row in r.context["rows"]] == ["BJ01", "SH01"] and r.context["day"] == D2


def test_branch_ranking_ties_share_a_rank_and_only_firm_wide_roles_see_it(client, history, staff):
    r = page(client, staff["admin"], "/segments/branch-ranking/?indicator=clients&day=2026-03-02")
    assert [row[0] for row in r.context["rows"]] == [1, 2]
    IndicatorSnapshot.objects.filter(on_date=D1, scope="branch").update(clients=5)
    r = client.get("/segments/branch-ranking/?indicator=clients&day=2026-03-02")
    assert [row[0] for row in r.context["rows"]] == [1, 1]
    for who in ("bm_sh", "am1"):
        assert page(client, staff[who], "/segments/branch-ranking/").status_code == 403


@pytest.fixture
def moves(book):
    """Volume class: zhang ordinary → active (D2) → key_service (D3); zhao dormant, unchanged; li new on D2 as
    active; wang (Beijing, nobody's) active → dormant on D2."""
    def t(client, frm, to, day):
        SegmentTransition.objects.create(client=client, axis="volume", from_value=frm, to_value=to, on_date=day,
                                         source="rule" if frm else "start")
    t(book["zhang"], "", "ordinary", D1)
    t(book["zhang"], "ordinary", "active", D2)
    t(book["zhang"], "active", "key_service", D3)
    t(book["zhao"], "", "dormant", D1)
    t(book["li"], "", "active", D2)
    t(book["wang"], "", "active", D1)
    t(book["wang"], "active", "dormant", D2)
    SegmentTransition.objects.create(client=book["wang"], axis="fund_size", from_value="", to_value="large",
                                     on_date=D1, source="start")


def cell(matrix, frm, to):
    values = [v for v, _label in matrix["values"]]
    row = next(r for r in matrix["rows"] if r["value"] == frm)
    return row["counts"][values.index(to)]


def test_migration_matrix_counts_who_was_what_on_each_date(client, moves, staff):
    r = page(client, staff["head"], "/segments/migration/?axis=volume&start=2026-03-02&end=2026-03-03")
    m = r.context["matrix"]
    assert cell(m, "ordinary", "active") == 1 and cell(m, "dormant", "dormant") == 1
    assert cell(m, "active", "dormant") == 1 and cell(m, "", "active") == 1  # li: not segmented on D1
    assert m["total"] == 4 and m["moved"] == 3
    heat = chart_of(r)["cells"]
    assert sum(c[2] for c in heat) == 4
    # To D3: zhang went on to key service; the export is the table.
    r = client.get("/segments/migration/?axis=volume&start=2026-03-02&end=2026-03-04&export=csv")
    lines = b"".join(r.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(m["rows"])
    assert lines[1].split(",")[1:] == ["0", "1", "0", "0", "1"]  # the first row, ordinary: → key service


def test_an_account_manager_sees_only_their_clients_migrate(client, moves, staff):
    r = page(client, staff["am1"], "/segments/migration/?axis=volume&start=2026-03-02&end=2026-03-04")
    m = r.context["matrix"]
    assert m["total"] == 2 and cell(m, "ordinary", "key_service") == 1 and cell(m, "dormant", "dormant") == 1
    r = page(client, staff["bm_sh"], "/segments/migration/?axis=volume&start=2026-03-02&end=2026-03-04")
    assert r.context["matrix"]["total"] == 3  # Shanghai: not wang


def test_chart_pages_are_linked_from_the_dashboard_and_the_menu(client, staff):
    r = page(client, staff["head"], "/segments/")
    html = r.content.decode()
    assert 'href="/segments/trends/"' in html and 'href="/segments/branch-ranking/"' in html
    r = page(client, staff["am1"], "/segments/trends/")
    html = r.content.decode()
    assert 'href="/segments/migration/"' in html and "/segments/branch-ranking/" not in html
