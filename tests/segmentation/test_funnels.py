"""The funnel and concentration charts (issue 14): the migration matrix's cells, the value-concentration curve and
its top 20 %, the prospect funnel, the referral funnel and the tickets against their deadlines — their figures
against hand counts on constructed records, every figure's link opening a list of exactly that many rows whose
banner names it, the scope per role, and the exports."""

import datetime
import html as htmllib
import io
import math
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from clients.models import Client
from referrals.models import Referral
from segmentation.models import ClientMetrics
from service.models import Prospect, ProspectGradeChange, Ticket

from ..factories import ClientFactory
from ..referrals.test_drilldown import BANNER, LIST_COUNT, browser
from .test_charts import chart_of, moves  # noqa: F401 (a fixture)
from .test_pages_api import nightly_book  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TABLE_LINK = re.compile(r'<a href="([^"]*figure=[^"]*)">([\d,]+)</a>')


def table_of(page: str) -> str:
    return page[page.index('id="chart-table"'):page.index("</table>", page.index('id="chart-table"'))]


def links_add_up(b, page: str) -> dict[str, int]:
    """Every count linked in the table view opens a list of that many rows, whose banner ends in the count."""
    links = {htmllib.unescape(url): int(n.replace(",", "")) for url, n in TABLE_LINK.findall(table_of(page))}
    assert links
    for url, n in links.items():
        listed = b.get(url).content.decode()
        assert [int(x) for x in LIST_COUNT.findall(listed)] == [n], url
        banner = BANNER.search(listed)
        assert banner and banner.group(1).strip().endswith(f"— {n}"), url
    return links


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


# ---------------------------------------------------------------- migration matrix


def test_each_migration_cell_opens_the_clients_who_moved_so(moves, staff, api):  # noqa: F811
    b = browser(staff["head"])
    r = b.get("/segments/migration/?axis=volume&start=2026-03-02&end=2026-03-04")
    links = links_add_up(b, r.content.decode())
    # ordinary → key service (zhang), dormant → dormant (zhao), not segmented → active (li), active → dormant (wang)
    cells = {url: n for url, n in links.items() if "moved_to=any" not in url}
    assert sorted(n for n in cells.values() if n) == [1, 1, 1, 1]
    # Every count is a link, a 0 and each row's total too (those who were that value, whatever they are now).
    rows = r.context["rows"]
    assert len(links) == sum(len(row) - 1 for row in rows)
    totals = {url: n for url, n in links.items() if "moved_to=any" in url}
    assert sorted(totals.values()) == sorted(row[-1] for row in rows)
    ordinary = next(url for url in totals if "moved_from=ordinary" in url)
    assert "Ordinary on 2026-03-02, any value on 2026-03-04" in BANNER.search(b.get(ordinary).content.decode()).group(1)
    cell = next(url for url in links if "moved_from=ordinary" in url and "moved_to=key_service" in url)
    listed = b.get(cell).content.decode()
    assert "张三" in listed and "赵敏" not in listed
    assert ("Clients behind: Trading volume: Ordinary on 2026-03-02, Key service on 2026-03-04 (whole firm"
            in BANNER.search(listed).group(1))
    new = next(url for url, n in cells.items() if "moved_from=unsegmented" in url and n)
    assert "李四" in b.get(new).content.decode()
    # The API reads the same filter.
    query = cell.split("?", 1)[1]
    assert [c["name"] for c in api(staff["head"]).get(f"/api/clients/?{query}").json()["results"]] == ["张三"]


def test_a_migration_cell_lists_only_the_clients_the_viewer_sees(moves, staff):  # noqa: F811
    url = ("/clients/?moved_axis=volume&moved_from=active&moved_to=dormant&moved_start=2026-03-02"
           "&moved_end=2026-03-03&figure=migration")
    assert "王五" in browser(staff["head"]).get(url).content.decode()  # Beijing
    assert "王五" not in browser(staff["bm_sh"]).get(url).content.decode()
    # Without its dates a cell selects nobody rather than everybody.
    listed = browser(staff["head"]).get("/clients/?moved_axis=volume&moved_to=dormant").content.decode()
    assert LIST_COUNT.findall(listed) == ["0"]


# ---------------------------------------------------------------- value concentration


@pytest.mark.parametrize(("who", "scope"), [("head", ""), ("am1", ""), ("head", "manager:{am1}"),
                                            ("bm_sh", "")])
def test_concentration_curve_and_its_top_20_percent(nightly_book, staff, who, scope):  # noqa: F811
    b = browser(staff[who])
    scope = scope.format(am1=staff["am1"].pk)
    r = b.get("/segments/concentration/", {"scope": scope} if scope else {})
    assert r.status_code == 200
    clients = Client.objects.visible_to(staff[who]).filter(segment__isnull=False)
    if "manager" in scope:
        clients = clients.filter(account_manager=staff["am1"])
    values = sorted(ClientMetrics.objects.filter(client__in=clients).values_list("net_commission_250", flat=True),
                    reverse=True)
    top = math.ceil(len(values) * 0.2)
    total = sum(values)
    assert r.context["top_count"] == top
    share = (sum(values[:top]) / total).quantize(Decimal("0.0001"))  # stored to four places, shown to one
    assert r.context["top20_share"] == (share * 100).quantize(Decimal("0.1"))
    assert r.context["rows"][-1] == [Decimal(100), Decimal("100.0")]  # every client brings all of it
    page = r.content.decode()
    listed = b.get(htmllib.unescape(re.search(r'id="top-clients-count" href="([^"]+)"', page).group(1)))
    assert LIST_COUNT.findall(listed.content.decode()) == [str(top)]
    assert 'id="figure-banner"' in listed.content.decode()


def test_concentration_scope_out_of_reach_is_not_found(nightly_book, staff, branches):  # noqa: F811
    assert browser(staff["am1"]).get(f"/segments/concentration/?scope=manager:{staff['am2'].pk}").status_code == 404
    assert browser(staff["bm_sh"]).get(f"/segments/concentration/?scope=branch:{branches[1].pk}").status_code == 404
    assert browser(staff["agent"]).get("/segments/concentration/").status_code == 403


# ---------------------------------------------------------------- prospect funnel


@pytest.fixture
def prospects(staff, branches, book):
    """Recorded in March 2026: p1 (am1) F → C → A; p2 (am1) F, opened an account; p4 (am2) F → D; p5 (Beijing,
    nobody's) F. p3 (am1) was recorded in January."""
    sh, bj = branches

    def make(name, owner, branch, grades, day, client=None):
        p = Prospect.objects.create(name=name, source="staff", owner=owner, branch=branch, grade=grades[-1],
                                    client=client, converted_at=at(2026, 3, 20) if client else None)
        Prospect.objects.filter(pk=p.pk).update(created_at=at(*day, 10))
        before = ""
        for g in grades:
            ProspectGradeChange.objects.create(prospect=p, from_grade=before, to_grade=g)
            before = g
        return p

    return {
        "p1": make("甲", staff["am1"], sh, ["F", "C", "A"], (2026, 3, 2)),
        "p2": make("乙", staff["am1"], sh, ["F"], (2026, 3, 5), client=ClientFactory(branch=sh)),
        "p3": make("丙", staff["am1"], sh, ["B"], (2026, 1, 5)),
        "p4": make("丁", staff["am2"], sh, ["F", "D"], (2026, 3, 31)),
        "p5": make("戊", None, bj, ["F"], (2026, 3, 15)),
    }


def test_prospect_funnel_counts_by_hand_and_links_to_the_prospects(prospects, staff):
    b = browser(staff["head"])
    r = b.get("/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31&by=branch")
    assert r.status_code == 200
    # total: recorded, reached E, D, C, B, A, opened account, conversion
    assert r.context["rows"][0] == ["Total", 4, 3, 3, 2, 2, 2, 1, Decimal("25.0")]
    assert r.context["rows"][1] == ["北京营业部 (BJ01)", 1, 0, 0, 0, 0, 0, 0, Decimal("0.0")]
    assert r.context["rows"][2] == ["上海营业部 (SH01)", 3, 3, 3, 2, 2, 2, 1, Decimal("33.3")]
    assert [s["value"] for s in chart_of(r)["stages"]] == [4, 3, 3, 2, 2, 2, 1]
    links = links_add_up(b, r.content.decode())
    assert len(links) == 3 * 7


@pytest.mark.parametrize(("who", "recorded"), [("am1", 2), ("am2", 1), ("bm_sh", 3), ("bm_bj", 1), ("head", 4)])
def test_prospect_funnel_is_the_viewers(prospects, staff, who, recorded):
    b = browser(staff[who])
    r = b.get("/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31")
    assert r.context["rows"][0][1] == recorded
    links_add_up(b, r.content.decode())


def test_prospect_funnel_by_owner_and_its_export(prospects, staff):
    b = browser(staff["bm_sh"])
    r = b.get("/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31&by=owner")
    assert [row[0] for row in r.context["rows"]] == ["Total", "王经理 (AM001)", "李经理 (AM002)"]
    assert r.context["rows"][1][1:] == [2, 2, 2, 2, 2, 2, 1, Decimal("50.0")]
    x = b.get("/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31&by=owner&export=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(x.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Owner", "Recorded", "Reached E"] and rows[2][:2] == ["王经理 (AM001)", 2]
    assert browser(staff["agent"]).get("/segments/prospect-funnel/").status_code == 403


# ---------------------------------------------------------------- referral funnel


@pytest.fixture
def referrals(staff, book):
    """zhang (am1) referred three in March (one funded, one contacted) and one in April (opened); wang
    (Beijing) one in March."""
    def make(name, referrer, day, **stages):
        status = next((s for s in ("funded", "opened", "contacted") if s in stages), "referred")
        return Referral.objects.create(prospect_name=name, referrer_client=referrer, referred_on=day, status=status,
                                       **{f"{s}_on": d for s, d in stages.items()})

    d = datetime.date
    make("甲", book["zhang"], d(2026, 3, 3), contacted=d(2026, 3, 4), opened=d(2026, 3, 6), funded=d(2026, 3, 9))
    make("乙", book["zhang"], d(2026, 3, 10), contacted=d(2026, 3, 12))
    make("丙", book["zhang"], d(2026, 3, 20))
    make("丁", book["zhang"], d(2026, 4, 2), contacted=d(2026, 4, 3), opened=d(2026, 4, 8))
    make("戊", book["wang"], d(2026, 3, 5), contacted=d(2026, 3, 6))


def test_referral_funnel_counts_by_hand_and_links_to_the_referrals(referrals, staff):
    b = browser(staff["head"])
    r = b.get("/segments/referral-funnel/?start=2026-03-01&end=2026-04-30")
    rows = r.context["rows"]
    assert rows[0] == ["Total", 5, 4, 2, 1, Decimal("80.0"), Decimal("50.0"), Decimal("50.0"), Decimal("20.0")]
    assert rows[1] == ["2026-03", 4, 3, 1, 1, Decimal("75.0"), Decimal("33.3"), Decimal("100.0"), Decimal("25.0")]
    assert rows[2] == ["2026-04", 1, 1, 1, 0, Decimal("100.0"), Decimal("100.0"), Decimal("0.0"), Decimal("0.0")]
    assert [s["value"] for s in chart_of(r)["stages"]] == [5, 4, 2, 1]
    assert len(links_add_up(b, r.content.decode())) == 3 * 4
    am = browser(staff["am1"]).get("/segments/referral-funnel/?start=2026-03-01&end=2026-04-30")
    assert am.context["rows"][0][1:5] == [4, 3, 2, 1]  # not wang's
    links_add_up(browser(staff["am1"]), am.content.decode())


# ---------------------------------------------------------------- tickets against their deadlines


@pytest.fixture
def tickets(staff, book):
    """March 2026: t1 (zhang, am1) opened 2 Mar 09:00, resolved 2 Mar 13:00, deadline 3 Mar (in time, 4 h);
    t2 (li, am2) opened 5 Mar 09:00, resolved 7 Mar 09:00, deadline 6 Mar (late, 48 h); t3 (wang, Beijing)
    opened 10 Mar 08:00, resolved 10 Mar 18:00 (in time, 10 h). April: t4 (zhao, am1) resolved 1 Apr 10:00 after
    2 h, in time. Open: t5 (zhang) deadline 20 Mar passed; t6 (zhao) deadline far ahead."""
    def make(client, owner, opened, deadline, resolved=None, status=None):
        t = Ticket.objects.create(client=client, owner=owner, ticket_type="trading_consultation", channel="phone",
                                  subject="咨询", deadline=deadline, resolved_at=resolved,
                                  status=status or ("resolved" if resolved else "in_progress"))
        Ticket.objects.filter(pk=t.pk).update(created_at=opened)
        return t

    make(book["zhang"], staff["am1"], at(2026, 3, 2, 9), at(2026, 3, 3, 9), at(2026, 3, 2, 13))
    make(book["li"], staff["am2"], at(2026, 3, 5, 9), at(2026, 3, 6, 9), at(2026, 3, 7, 9), status="closed")
    make(book["wang"], staff["agent"], at(2026, 3, 10, 8), at(2026, 3, 11, 8), at(2026, 3, 10, 18))
    make(book["zhao"], staff["am1"], at(2026, 4, 1, 8), at(2026, 4, 2, 8), at(2026, 4, 1, 10))
    make(book["zhang"], staff["am1"], at(2026, 3, 18, 9), at(2026, 3, 20, 9))
    make(book["zhao"], staff["am1"], at(2026, 3, 18, 9), at(2099, 1, 1, 9))


def test_ticket_deadlines_by_month_count_by_hand_and_link_to_the_tickets(tickets, staff):
    b = browser(staff["head"])
    r = b.get("/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30")
    rows = r.context["rows"]
    # resolved, by the deadline, share, median hours, open past the deadline
    assert rows[0] == ["Total", 4, 3, Decimal("75.0"), Decimal("7.0"), 1]
    assert rows[1] == ["2026-03", 3, 2, Decimal("66.7"), Decimal("10.0"), 1]
    assert rows[2] == ["2026-04", 1, 1, Decimal("100.0"), Decimal("2.0"), 0]
    assert chart_of(r)["categories"] == ["2026-03", "2026-04"]
    assert len(links_add_up(b, r.content.decode())) == 3 * 3  # a 0 is a link too (to an empty list)


def test_ticket_deadlines_by_branch_and_by_owner(tickets, staff):
    b = browser(staff["head"])
    r = b.get("/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30&by=branch")
    assert r.context["rows"][1:] == [["北京营业部 (BJ01)", 1, 1, Decimal("100.0"), Decimal("10.0"), 0],
                                     ["上海营业部 (SH01)", 3, 2, Decimal("66.7"), Decimal("4.0"), 1]]
    links_add_up(b, r.content.decode())
    r = b.get("/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30&by=owner")
    assert [row[0] for row in r.context["rows"]][1:3] == ["王经理 (AM001)", "李经理 (AM002)"]
    assert r.context["rows"][1][1:] == [2, 2, Decimal("100.0"), Decimal("3.0"), 1]
    links_add_up(b, r.content.decode())


@pytest.mark.parametrize(("who", "resolved", "overdue"), [("am1", 2, 1), ("am2", 1, 0), ("bm_sh", 3, 1),
                                                          ("admin", 4, 1)])
def test_ticket_deadlines_are_the_viewers(tickets, staff, who, resolved, overdue):
    b = browser(staff[who])
    r = b.get("/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30")
    assert (r.context["rows"][0][1], r.context["rows"][0][5]) == (resolved, overdue)
    links_add_up(b, r.content.decode())


def test_ticket_deadlines_export_holds_the_table(tickets, staff):
    r = browser(staff["head"]).get("/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30&export=csv")
    lines = b"".join(r.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["Total,4,3,75.0,7.0,1", "2026-03,3,2,66.7,10.0,1", "2026-04,1,1,100.0,2.0,0"]
    assert browser(staff["agent"]).get("/segments/ticket-deadlines/").status_code == 403  # the desk works them


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_new_pages_are_in_the_analysis_menu(staff, lang):
    html = browser(staff["head"], lang).get("/segments/").content.decode()
    nav = html[html.index('data-menu="analysis"'):]
    nav = nav[:nav.index("</details>")]
    for url in ("concentration", "prospect-funnel", "referral-funnel", "ticket-deadlines"):
        assert f'href="/segments/{url}/"' in nav


def test_the_rows_of_nobody_and_of_no_branch_link_to_their_records_too(prospects, tickets, staff, book):
    """A prospect with no branch and no owner, a queue's ticket (no owner) and a caller's ticket (no client, so no
    branch): their rows are counts like the others, each a link to the list that makes it."""
    Prospect.objects.filter(pk=Prospect.objects.create(name="己", source="staff").pk).update(
        created_at=at(2026, 3, 20, 10))
    for client in (book["zhang"], None):
        t = Ticket.objects.create(client=client, owner=None, ticket_type="trading_consultation", channel="phone",
                                  subject="来电", deadline=at(2026, 3, 23, 9), resolved_at=at(2026, 3, 22, 9),
                                  status="resolved")
        Ticket.objects.filter(pk=t.pk).update(created_at=at(2026, 3, 21, 9))
    b = browser(staff["head"])
    pages = {"/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31&by=branch": ("No branch", 7),
             "/segments/prospect-funnel/?start=2026-03-01&end=2026-03-31&by=owner": ("Nobody", 7),
             "/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30&by=branch": ("No branch", 3),
             "/segments/ticket-deadlines/?start=2026-03-01&end=2026-04-30&by=owner": ("Nobody", 3)}
    for url, (label, linked) in pages.items():
        r = b.get(url)
        rows = r.context["rows"]
        assert rows[-1][0] == label and rows[-1][1] == (1 if label == "No branch" else 2), url
        assert len(links_add_up(b, r.content.decode())) == len(rows) * linked, url
