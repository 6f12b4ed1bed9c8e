"""The account manager's everyday flow in a real browser (Debian's Chromium through Playwright).

Every request the page makes is recorded; anything not addressed to 127.0.0.1 fails the test
(no CDN, no fonts, no analytics: the CRM must work on a machine with no internet).
"""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1"}


@pytest.fixture
def browser_page(live_server):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    outside = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page, outside
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert outside == [], f"the page requested resources outside 127.0.0.1: {outside}"


def sign_in_as_am1(page, live_server) -> str:
    """Log in as am1 and return the site's address."""
    base = live_server.url.replace("localhost", "127.0.0.1")
    page.goto(f"{base}/login/")
    page.fill("#id_username", "am1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # Login lands on "my day" (the service issue's landing page); the client list is in the nav.
    page.wait_for_url(f"{base}/service/my-day/")
    return base


def test_find_by_initials_log_a_contact_and_switch_to_chinese(browser_page, live_server, staff, book):
    page, outside = browser_page
    base = sign_in_as_am1(page, live_server)
    page.goto(f"{base}/clients/")

    page.fill("#id_q", "zs")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/clients/?q=zs*")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1 and "张三" in rows.first.inner_text()

    page.click("table.grid tbody >> text=张三")
    page.wait_for_url(f"{base}/clients/{book['zhang'].pk}/")
    assert page.locator("h1").inner_text().startswith("张三")

    form = page.locator("form.contact-form")
    form.locator("select[name=channel]").select_option("phone")
    form.locator("input[name=place]").fill("电话")
    form.locator("textarea[name=summary]").fill("客户询问螺纹钢保证金调整")
    form.locator("input[name=next_step]").fill("周五回访")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/clients/{book['zhang'].pk}/#contacts")
    assert "Contact recorded." in page.locator(".messages").inner_text()
    assert "客户询问螺纹钢保证金调整" in page.locator("#contacts table").inner_text()
    assert book["zhang"].contact_logs.get().by == staff["am1"]

    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    body = page.locator("body").inner_text()
    for label in ("联系记录", "身份信息", "客户经理", "适当性", "退出登录"):
        assert label in body, label
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "client_page_zh.png"), full_page=True)

    # The API documentation renders from the vendored Swagger UI, not a CDN.
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert "/api/clients/" in page.locator(".swagger-ui").inner_text()
    assert outside == []


def test_a_paste_too_large_to_send_stays_on_the_page_with_what_was_typed(browser_page, live_server, staff, book):
    """static/js/app.js refuses to send a form larger than the server reads, and says so above it."""
    page, outside = browser_page
    base = sign_in_as_am1(page, live_server)
    page.goto(f"{base}/clients/{book['zhang'].pk}/")
    form = page.locator("form.contact-form")
    form.locator("select[name=channel]").select_option("phone")
    # A 3-million-character paste (25.7 MB as sent, over the server's form limit), set at once: typing it
    # would take minutes.
    form.locator("textarea[name=summary]").evaluate("(area) => { area.value = '行情'.repeat(1500000); }")
    form.locator("button[type=submit]").click()
    notice = form.locator(".too-large")
    notice.wait_for()
    # 3 million characters are 25.7 MB as a form sends them (percent-encoded UTF-8): that is what is counted.
    from django.conf import settings

    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:.1f}"
    assert f"This form is too large to send (25.7 MB; at most {limit} MB)" in notice.inner_text()
    assert page.url == f"{base}/clients/{book['zhang'].pk}/"
    assert form.locator("textarea[name=summary]").evaluate("(area) => area.value.length") == 3_000_000
    assert not book["zhang"].contact_logs.exists() and outside == []
