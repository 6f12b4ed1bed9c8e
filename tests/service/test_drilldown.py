"""My day: the count of tasks due opens the task list of exactly those tasks."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from service.models import Task
from tests.factories import ClientFactory
from tests.referrals.test_drilldown import browser, links_add_up

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang, text", [("en", "Behind the figure: Open tasks of 王经理 (AM001) due by {d} — 2"),
                                        ("zh-hans", "对应明细：王经理 (AM001) 截至 {d} 到期的未完成任务 — 2")])
def test_my_day_task_count_opens_those_tasks(staff, book, lang, text):
    today = timezone.localdate()
    rows = ((today - datetime.timedelta(days=3), "open"), (today + datetime.timedelta(days=1), "open"),
            (today + datetime.timedelta(days=2), "open"), (today, "done"))
    for (due, status), client in zip(rows, (book["zhang"], book["zhao"], ClientFactory(branch=book["zhang"].branch,
                                                                                       account_manager=staff["am1"]),
                                             book["zhang"]), strict=True):
        Task.objects.create(client=client, kind="care", owner=staff["am1"], due_on=due, status=status)
    Task.objects.create(client=book["li"], kind="care", owner=staff["am2"], due_on=today)
    b = browser(staff["am1"], lang)
    banners = links_add_up(b, b.get(reverse("service:my_day")).content.decode())
    assert banners == [text.format(d=(today + datetime.timedelta(days=1)).isoformat())]
