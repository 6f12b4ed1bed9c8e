"""Every count on the manager scorecard opens the list that makes it: the nightly snapshots of a real March (the
1st a Saturday, the 31st a Monday) written from clients, tasks and tickets, and each linked list counts, as the
branch manager sees it, what the scorecard shows, with a banner naming the figure."""

import datetime
import html as htmllib
import re

import pytest
from django.urls import reverse

from segmentation import indicators, scorecard
from segmentation.models import TradingDay
from service.models import Task, Ticket

from ..factories import ClientFactory
from .test_drilldown import BANNER, LIST_COUNT
from .test_pages_api import browser

pytestmark = pytest.mark.django_db
MARCH = datetime.date(2025, 3, 1)
SH = datetime.timezone(datetime.timedelta(hours=8))
CELL = re.compile(r'<td class="num"><a href="([^"]*)">([^<]*)</a></td>')


def at(*parts):
    return datetime.datetime(*parts, tzinfo=SH)


@pytest.fixture
def march(staff, book):
    """am1's book and service records around March 2025, and the snapshots of Feb 27 – Mar 31 written from them."""
    am1, sh = staff["am1"], book["zhang"].branch
    zhao = book["zhao"]
    zhao.open_date = datetime.date(2025, 3, 1)  # a Saturday: counted on Monday the 3rd, in March
    zhao.save(update_fields=["open_date"])
    mine = {"branch": sh, "account_manager": am1}
    ClientFactory(name="二月", open_date=datetime.date(2025, 2, 28), **mine)  # February's
    ClientFactory(name="短期", open_date=datetime.date(2025, 3, 10), close_date=datetime.date(2025, 3, 20),
                  status="closed", **mine)  # new in March, gone by its end
    ClientFactory(name="末日", close_date=datetime.date(2025, 3, 31), status="closed", **mine)  # closed on the 31st
    ClientFactory(name="四月", close_date=datetime.date(2025, 4, 2), status="closed", **mine)  # still there on the 31st
    ClientFactory(name="将来", open_date=datetime.date(2025, 4, 1), **mine)  # not yet

    def task(client, due, status="open", done=None, created=None):
        t = Task.objects.create(client=client, kind="care", due_on=due, status=status, done_at=done)
        Task.objects.filter(pk=t.pk).update(created_at=created or at(2025, 2, 1, 9))

    zhang = book["zhang"]
    task(zhang, datetime.date(2025, 3, 10), "done", at(2025, 3, 10, 23, 30), created=at(2025, 3, 1, 10))
    task(zhang, datetime.date(2025, 3, 14), "done", at(2025, 3, 15, 0, 5), created=at(2025, 3, 15, 10))
    task(zhao, datetime.date(2025, 3, 20), created=at(2025, 3, 31, 22))
    task(zhao, datetime.date(2025, 3, 5), "cancelled")
    task(zhang, datetime.date(2025, 4, 1), "done", at(2025, 3, 2, 9), created=at(2025, 2, 28, 23))
    task(book["li"], datetime.date(2025, 3, 12), "done", at(2025, 3, 11, 9), created=at(2025, 3, 11, 9))  # am2's

    def ticket(client, resolved, deadline):
        t = Ticket.objects.create(client=client, ticket_type="complaint", channel="phone", subject="s",
                                  deadline=deadline, status="resolved", resolved_at=resolved)
        Ticket.objects.filter(pk=t.pk).update(created_at=at(2025, 2, 20, 9))

    ticket(zhang, at(2025, 3, 1, 10), at(2025, 3, 3, 18))  # Saturday, in time
    ticket(zhang, at(2025, 3, 12, 10), at(2025, 3, 11, 18))  # late
    ticket(zhao, at(2025, 3, 31, 23, 30), at(2025, 4, 1, 18))  # the last evening, in time
    ticket(zhao, at(2025, 2, 28, 10), at(2025, 3, 1, 18))  # February's
    days = [datetime.date(2025, 2, 27) + datetime.timedelta(days=n) for n in range(33)]
    days = [d for d in days if d.weekday() < 5]
    TradingDay.objects.bulk_create([TradingDay(day=d) for d in days])
    for day in days:
        indicators.write_day(day, policy_version=1, score=50)
    return scorecard.monthly_figures(["AM001"], MARCH, MARCH)[("AM001", MARCH)]


def linked_cells(page: str, code: str) -> list[tuple[str, str]]:
    row = page.split(f'data-code="{code}"')[1].split("</tr>")[0]
    return [(htmllib.unescape(url), text) for url, text in CELL.findall(row)]


def listed(b, url) -> tuple[int, str]:
    page = b.get(url).content.decode()
    (count,) = LIST_COUNT.findall(page)
    banner = BANNER.search(page)
    assert banner, url
    return int(count), htmllib.unescape(banner.group(1)).strip()


def test_every_scorecard_count_links_to_a_list_of_that_many(march, staff):
    assert (march["new"], march["clients"], march["tasks_due"], march["tasks_done_on_time"],
            march["tasks_created"], march["tickets_within_deadline"]) == (2, 4, 3, 1, 3, 2)
    b = browser(staff["bm_sh"])
    page = b.get(reverse("segmentation:scorecard"), {"month": "2025-03"}).content.decode()
    cells = linked_cells(page, "AM001")
    by_figure = {re.search(r"figure=(\w+)", url).group(1): (url, text) for url, text in cells}
    assert set(by_figure) == {"scorecard_new", "scorecard_clients", "scorecard_tasks_created", "scorecard_tasks_due",
                              "scorecard_tasks_on_time", "scorecard_tickets_within"}
    for url, text in cells:
        n, banner = listed(b, url)
        if text.isdigit():  # a count: the list has that many
            assert n == int(text), url
        assert banner.endswith(f"— {n}"), url
    # the rates: their lists hold the part done in time
    assert listed(b, by_figure["scorecard_tasks_on_time"][0])[0] == march["tasks_done_on_time"]
    assert listed(b, by_figure["scorecard_tickets_within"][0])[0] == march["tickets_within_deadline"]
    n, banner = listed(b, by_figure["scorecard_new"][0])
    assert "New accounts opened 2025-03-01 – 2025-03-31" in banner and n == 2
    assert "Clients under care on 2025-03-31" in listed(b, by_figure["scorecard_clients"][0])[1]
    # equity links to the clients under care, as their count
    equity_links = [url for url, text in cells if "scorecard_clients" in url]
    assert len(equity_links) == 2


def test_manager_history_links_each_month_and_chinese_banner(march, staff):
    b = browser(staff["bm_sh"])
    page = b.get(reverse("segmentation:scorecard-manager", args=["AM001"]), {"month": "2025-03"}).content.decode()
    row = page.split('data-month="2025-03"')[1].split("</tr>")[0]
    urls = [htmllib.unescape(u) for u, _t in CELL.findall(row)]
    new = next(u for u in urls if "figure=scorecard_new" in u)
    assert listed(b, new)[0] == march["new"]
    zh = b.get(new, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2025-03-01" in BANNER.search(zh).group(1) and "New accounts" not in zh

