"""The funnel and concentration charts in a real browser (Chromium), in English and Chinese: ECharts draws each
under the Content-Security-Policy, the table view holds the figures, and its button hides and shows the table.
Screenshots: var/screenshots/charts-<page>-<lang>.png."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from ..factories import ClientFactory
from .test_charts_browser import logged_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PAGES = {  # path → title in (en, zh-hans)
    "concentration": ("Value concentration", "价值集中度"),
    "prospect-funnel": ("Prospect funnel", "准客户漏斗"),
    "referral-funnel": ("Referral funnel", "推荐漏斗"),
    "ticket-deadlines": ("Ticket deadlines", "工单时限"),
    "migration": ("Segment migration", "分类迁移"),
}


def records(staff, book):
    """A little of everything the pages count, dated within their default range (the last six months)."""
    from referrals.models import Referral
    from segmentation.models import IndicatorSnapshot
    from service.models import Prospect, ProspectGradeChange, Ticket

    now = timezone.now()
    today = timezone.localdate()
    for i, grades in enumerate((["F"], ["F", "D"], ["F", "C", "A"], ["E", "B"])):
        p = Prospect.objects.create(name=f"准客户{i}", source="staff", owner=staff["am1"], grade=grades[-1],
                                    branch=staff["am1"].staff_profile.branch,
                                    client=ClientFactory(branch=book["zhang"].branch) if i == 2 else None)
        for before, g in zip(["", *grades], grades, strict=False):
            ProspectGradeChange.objects.create(prospect=p, from_grade=before, to_grade=g)
    for i, stage in enumerate(("referred", "contacted", "opened", "funded", "contacted")):
        dates = {"contacted_on": today} if stage != "referred" else {}
        if stage in ("opened", "funded"):
            dates["opened_on"] = today
        Referral.objects.create(prospect_name=f"被推荐人{i}", referrer_client=book["zhang"], referred_on=today,
                                status=stage, funded_on=today if stage == "funded" else None, **dates)
    for i, hours in enumerate((2, 30, 5)):
        Ticket.objects.create(client=book["zhang"], owner=staff["am1"], ticket_type="trading_consultation",
                              channel="phone", subject=f"咨询{i}", deadline=now + datetime.timedelta(hours=24),
                              resolved_at=now + datetime.timedelta(hours=hours), status="resolved")
    Ticket.objects.create(client=book["li"], owner=staff["am2"], ticket_type="complaint", channel="phone",
                          subject="投诉", deadline=now - datetime.timedelta(hours=3), status="in_progress")
    curve = [{"clients_pct": p, "share": str(min(1, round((p / 100) ** 0.4, 4)))} for p in range(5, 101, 5)]
    IndicatorSnapshot.objects.create(on_date=today, scope="firm", code="", policy_version=1, segmented=0,
                                     segment_counts={}, churn_bands=[0, 0, 0, 0, 0], churned=0, segmented_loyal=0,
                                     top20_share=curve[3]["share"], net_commission_250="1000.00", concentration=curve)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_each_funnel_chart_draws_and_its_table_toggles(live_server, staff, book, lang):
    from playwright.sync_api import sync_playwright

    records(staff, book)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page, problems = logged_in(p, live_server, staff["head"], lang)
        for path, titles in PAGES.items():
            page.goto(f"{live_server.url}/segments/{path}/")
            page.wait_for_selector("#chart canvas", timeout=10_000)
            assert titles[0 if lang == "en" else 1] in page.inner_text("h1"), path
            assert page.locator("#chart-table tbody tr").count() >= 1, path
            toggle = page.locator("#table-toggle")
            shown_label = toggle.inner_text()
            toggle.click()
            assert page.locator("#chart-table").is_hidden() and toggle.get_attribute("aria-expanded") == "false"
            assert toggle.inner_text() != shown_label
            toggle.click()
            assert page.locator("#chart-table").is_visible() and toggle.inner_text() == shown_label
            page.wait_for_timeout(600)  # the chart's entry animation
            page.screenshot(path=str(SHOTS / f"charts-{path}-{lang}.png"), full_page=True)
        browser.close()
    assert problems == []
