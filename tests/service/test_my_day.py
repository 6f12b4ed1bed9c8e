"""The "my day" landing page gathers what needs the person today."""

import datetime

import pytest
from django.utils import timezone

from segmentation.models import ClientSegment, Policy
from service import services
from tests.factories import ClientFactory

from .helpers import settle

pytestmark = pytest.mark.django_db


def test_home_redirects_to_my_day(page, staff):
    response = page(staff["am1"]).get("/")
    assert response.status_code == 302 and response.url == "/service/my-day/"


def test_my_day_shows_tasks_birthdays_tickets_churn_and_alerts(page, staff, book, branches):
    today = timezone.localdate()
    services.task_upsert(client=book["zhang"], kind="retention", due_on=today - datetime.timedelta(days=2),
                         title="Overdue retention call")
    services.task_upsert(client=book["zhao"], kind="care", due_on=today + datetime.timedelta(days=10),
                         title="Far future care")
    soon = today + datetime.timedelta(days=3)
    ClientFactory(name="寿星", branch=branches[0], account_manager=staff["am1"],
                  birthday=datetime.date(1970, soon.month, min(soon.day, 28)))
    ClientFactory(name="别人的寿星", branch=branches[0], account_manager=staff["am2"],
                  birthday=datetime.date(1970, soon.month, min(soon.day, 28)))
    services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="account_change", channel="phone",
                         subject="Change bank card")
    ClientSegment.objects.create(client=book["zhao"], as_of=today, purpose="speculator", fund_size="retail",
                                 volume="dormant", tenure="old", churn_score=64, churn_signals=["withdrawals"])
    settle(book["zhang"], today - datetime.timedelta(days=1), pre_balance=10000, equity=-1200)

    html = page(staff["am1"]).get("/service/my-day/").content.decode()
    assert "Overdue retention call" in html and "Far future care" not in html
    assert "寿星" in html and "别人的寿星" not in html
    assert "Change bank card" in html
    assert "赵敏" in html and "64" in html
    assert "negative equity" in html

    other = page(staff["am2"]).get("/service/my-day/").content.decode()
    assert "Overdue retention call" not in other and "Change bank card" not in other


def test_my_day_risk_list_follows_the_policy_retention_threshold(page, staff, book):
    ClientSegment.objects.create(client=book["zhao"], as_of=timezone.localdate(), purpose="speculator",
                                 fund_size="retail", volume="dormant", tenure="old", churn_score=64)

    def risk_list():
        html = page(staff["am1"]).get("/service/my-day/").content.decode()
        return html.split('id="my-churn"', 1)[1].split("</section>", 1)[0]

    assert "赵敏" in risk_list()  # the default threshold is 50
    Policy.objects.create(version=2, params={"retention_score": "70"}, note="fewer retention calls")
    assert "赵敏" not in risk_list()


def test_service_agent_sees_the_desk_queue(page, staff, book):
    services.ticket_open(by=staff["agent"], client=book["wang"], ticket_type="market_consultation",
                         channel="phone", subject="Unowned desk ticket")
    assert "Unowned desk ticket" in page(staff["agent"]).get("/service/my-day/").content.decode()


def test_pages_speak_chinese(page, staff, book):
    browser = page(staff["agent"])
    browser.cookies["django_language"] = "zh-hans"
    html = browser.get("/service/my-day/").content.decode()
    assert "我的今日" in html and "待我处理的工单" in html
    lookup = browser.get("/lookup/", {"phone": "13700009999"}).content.decode()
    assert "未知号码" in lookup and "新建准客户" in lookup
