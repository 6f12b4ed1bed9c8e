"""The managers' pages: each count opens the task, client or referral list that makes it, which names it."""

import datetime
import html as htmllib
import re

import pytest
from django.test import Client as Browser
from django.urls import reverse

from referrals import services
from service.models import Task
from tests.factories import PASSWORD, ClientFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 2)
COUNT_LINK = re.compile(r'<a [^>]*href="([^"]*figure=[^"]*)"[^>]*>(\d+)</a>')
LIST_COUNT = re.compile(r'<p class="count">\D*(\d+)\D*</p>')
BANNER = re.compile(r'<p class="banner" id="figure-banner">(.*?)</p>', re.S)


def browser(user, lang="en"):
    b = Browser()
    assert b.login(username=user.username, password=PASSWORD)
    b.cookies["django_language"] = lang
    return b


def links_add_up(b, page: str) -> list[str]:
    """Every count link on `page` opens a list with that many rows and a banner ending in the count."""
    banners = []
    for url, n in COUNT_LINK.findall(page):
        listed = b.get(htmllib.unescape(url)).content.decode()
        assert LIST_COUNT.findall(listed) == [n], url
        banner = BANNER.search(listed)
        assert banner and banner.group(1).strip().endswith(f"— {n}"), url
        banners.append(banner.group(1).strip())
    return banners


@pytest.mark.parametrize("who", ["head", "bm_sh"])
def test_workload_counts_open_the_clients_and_open_tasks_behind_them(staff, book, who):
    Task.objects.create(client=book["zhang"], kind="care", owner=staff["am1"], due_on=DAY)
    Task.objects.create(client=book["zhao"], kind="care", owner=staff["am1"], due_on=DAY)
    Task.objects.create(client=book["zhao"], kind="care", owner=staff["am1"], due_on=DAY, status="done")
    b = browser(staff[who])
    banners = links_add_up(b, b.get(reverse("referrals:workload")).content.decode())
    assert "Behind the figure: Open tasks of 王经理 (AM001) — 2" in banners
    assert any(t.startswith("Clients behind: Clients under care (account manager 王经理 (AM001)") for t in banners)


def test_referral_funnel_counts_open_the_referrals_behind_them(staff, book):
    zhang = book["zhang"]
    a = ClientFactory(branch=zhang.branch, name="甲")
    ra = services.referral_create(by=staff["am1"], prospect_name="甲", referred_on=DAY, referrer_client=zhang)
    services.referral_advance(referral=ra, status="funded", on=DAY, by=staff["am1"], referred_client=a)
    rb = services.referral_create(by=staff["am1"], prospect_name="乙", referred_on=DAY, referrer_client=zhang)
    services.referral_advance(referral=rb, status="contacted", on=DAY, by=staff["am1"])
    services.referral_create(by=staff["am1"], prospect_name="丙", referred_on=DAY, referrer_client=zhang)
    services.referral_create(by=staff["marketing"], prospect_name="戊", referred_on=DAY,
                             referrer_staff=staff["marketing"])
    b = browser(staff["head"])
    banners = links_add_up(b, b.get(reverse("referrals:conversion")).content.decode())
    assert len(banners) == 8  # two referrers × referred, contacted, opened, funded
    assert "Behind the figure: Referrals from one referrer — 3" in banners
    assert "Behind the figure: Referrals from one referrer that reached: Contacted — 2" in banners
    zh = browser(staff["head"], "zh-hans")
    page = zh.get(reverse("referrals:conversion")).content.decode()
    assert all("Referrals" not in t for t in links_add_up(zh, page))


@pytest.mark.parametrize("who", ["compliance", "head", "bm_sh"])
def test_compliance_counts_open_the_intermediaries_a_check_raises(staff, book, who, intermediary, other_intermediary):
    from django.utils import timezone

    from referrals.models import Intermediary, IntermediaryTraining

    from .conftest import link

    today = timezone.localdate()
    soon = Intermediary.objects.create(code="IB003", name="即将到期", contract_end=today + datetime.timedelta(days=3))
    Intermediary.objects.create(code="IB005", name="已到期", contract_end=today - datetime.timedelta(days=1))
    IntermediaryTraining.objects.create(intermediary=intermediary, trained_on=today, hours=4, topic="合规培训")
    link(book["zhang"], soon)
    link(book["zhao"], intermediary)
    b = browser(staff[who])
    page = b.get(reverse("referrals:compliance")).content.decode()
    banners = links_add_up(b, page)
    assert len(banners) == 2
    expected = {"compliance": ("2", "3"), "head": ("2", "3"), "bm_sh": ("1", "1")}[who]  # bm_sh: IB003 and IB001
    assert f"Behind the figure: Contract expiring within 30 days or expired — {expected[0]}" in banners
    assert f"Behind the figure: No training in the last 12 months — {expected[1]}" in banners
