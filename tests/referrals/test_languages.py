"""Every relationship page renders in both languages."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = {
    "referrals:workload": ("Manager workload", "客户经理工作量"),
    "referrals:handover": ("Handover when a manager leaves", "客户经理离职交接"),
    "referrals:key_clients": ("Key clients without a manager", "无客户经理的重点客户"),
    "referrals:orphans": ("Orphaned clients", "无人负责的客户"),
    "referrals:intermediaries": ("Register an intermediary", "登记居间人"),
    "referrals:compliance": ("No training in the last 12 months", "近 12 个月无培训"),
    "referrals:referrals": ("Record a referral", "登记推荐"),
    "referrals:conversion": ("Conversion by referrer", "推荐人转化率"),
    "referrals:club": ("Club members", "俱乐部会员"),
}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_in_both_languages(client, staff, name, lang):
    client.force_login(staff["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    body = client.get(reverse(name)).content.decode()
    english, chinese = PAGES[name]
    assert (chinese if lang == "zh-hans" else english) in body
