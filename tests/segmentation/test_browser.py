"""The dashboard and the client panel in a real browser (Chromium), in Chinese."""

import pytest

from ..factories import PASSWORD
from .conftest import Book, weekdays

DAYS = weekdays(64)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_and_client_panel_in_chinese(live_server, book, staff, tmp_path):
    from playwright.sync_api import sync_playwright

    from segmentation import services

    b = Book()
    b.days(book["zhang"], DAYS, equity=6_000_000, lots=60, commission=300, exchange_fee=60)
    b.days(book["zhao"], DAYS, equity=600_000, lots=2, position=1, commission=40, exchange_fee=8)
    b.days(book["li"], DAYS[:-21], equity=10).days(book["li"], [DAYS[-21]], equity=1_000_000)
    b.days(book["li"], DAYS[-20:], equity=300_000, withdrawal=40_000, commission=5)
    b.save()
    services.run_night(day=DAYS[-1])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-Hans"})
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", staff["head"].username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/segments/")
        assert page.locator("#concentration-curve polyline").count() == 1
        assert "价值集中度" in page.content()
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        page.goto(f"{live_server.url}/clients/{book['zhang'].pk}/")
        panel = page.locator("#segmentation-panel")
        assert "大户" in panel.inner_text() and "活跃" in panel.inner_text()
        page.screenshot(path=str(tmp_path / "client.png"), full_page=True)
        browser.close()
    print(tmp_path)
