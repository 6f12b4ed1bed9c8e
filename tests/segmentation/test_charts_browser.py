"""The trends chart in a real browser (Chromium), in Chinese and English: ECharts draws under the
Content-Security-Policy. Screenshots: var/screenshots/charts-trends.png (Chinese), charts-trends-en.png."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from ..factories import PASSWORD

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def logged_in(playwright, live_server, user, lang):
    """Chromium with a page logged in as `user` in `lang`, and the list its console errors and warnings go to."""
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page(locale="en-US" if lang == "en" else "zh-CN", viewport={"width": 1366, "height": 900},
                            extra_http_headers={"Accept-Language": lang})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return browser, page, problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "title", "column", "shot"), [
    ("zh-hans", "趋势", "留存手续费", "charts-trends.png"), ("en", "Trends", "Net commission", "charts-trends-en.png")])
def test_trends_chart_draws_without_a_csp_violation(live_server, staff, lang, title, column, shot):
    from playwright.sync_api import sync_playwright

    from segmentation.models import IndicatorSnapshot

    today = timezone.localdate()
    IndicatorSnapshot.objects.bulk_create(
        IndicatorSnapshot(on_date=today - datetime.timedelta(days=d), scope="firm", code="", clients=100 + d % 7,
                          equity=Decimal(5_000_000 + 20_000 * d), net_commission=Decimal(3_000 + 40 * (d % 11)))
        for d in range(60))
    for code, commission in (("SH01", 2_400), ("BJ01", 1_700)):
        IndicatorSnapshot.objects.create(on_date=today, scope="branch", code=code, net_commission=Decimal(commission))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page, problems = logged_in(p, live_server, staff["head"], lang)
        page.goto(f"{live_server.url}/segments/trends/")
        page.wait_for_selector("#chart canvas", timeout=10_000)
        page.wait_for_timeout(1200)  # the lines' entry animation
        assert title in page.inner_text("h1") and column in page.inner_text("#chart-table")
        assert page.locator("#chart-table tbody tr").count() == 60
        page.screenshot(path=str(SHOTS / shot), full_page=True)
        for other in ("migration", "branch-ranking"):  # the heatmap and the bars draw as well
            page.goto(f"{live_server.url}/segments/{other}/")
            page.wait_for_selector("#chart canvas", timeout=10_000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / shot.replace("trends", "ranking")), full_page=True)
        browser.close()
    assert [m for m in problems if "Content Security Policy" in m or "Refused" in m] == []
    assert problems == []
