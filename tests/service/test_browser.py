"""A service agent answers a call in a real browser: screen-pop, open a ticket, resolve it."""

import os

import pytest

from service.models import Ticket
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop; monkeypatch removes the flag again afterwards.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def test_agent_answers_a_call(live_server, browser_page, staff, book, tmp_path):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", staff["agent"].username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/service/lookup/")  # the desk starts on the caller lookup

    # The phone rings: the number arrives with a country code and spaces.
    page.fill("input[name=phone]", "+86 138 0000 1111")
    page.click("form[action='/service/lookup/'] button")
    card = page.locator("#client-card")
    card.wait_for()
    assert "张三" in card.inner_text()
    assert "138****1111" in card.inner_text()
    assert "王经理" in card.inner_text()
    shots = os.environ.get("SERVICE_SCREENSHOT_DIR", str(tmp_path))
    page.screenshot(path=f"{shots}/screen-pop.png", full_page=True)

    page.click("#open-ticket")
    page.select_option("#id_ticket_type", "trading_consultation")
    page.fill("#id_subject", "交割月保证金怎么算")
    page.fill("#id_description", "客户询问 rb2605 进入交割月后的保证金比例")
    page.click("form button.primary")
    page.locator("#ticket-status").wait_for()
    ticket = Ticket.objects.get(subject="交割月保证金怎么算")
    assert ticket.client == book["zhang"] and ticket.owner == staff["am1"] and ticket.opened_by == staff["agent"]

    page.select_option("#status-form select[name=to_status]", "resolved")
    page.fill("#status-form textarea[name=note]", "已说明交易所和公司的保证金比例")
    page.click("#status-form button")
    page.wait_for_selector("#ticket-status:has-text('Resolved')")
    page.fill("#id_score", "9")
    page.click("form:has(#id_score) button")
    page.wait_for_selector("dd:has-text('9')")
    page.screenshot(path=f"{shots}/ticket.png", full_page=True)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.satisfaction) == ("resolved", 9)
    assert "已说明交易所和公司的保证金比例" in page.locator("#timeline").inner_text()

    # The same desk in Chinese: the language switch keeps the agent on their page.
    page.goto(f"{live_server.url}/service/my-day/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("h1:has-text('我的今日')")
    page.goto(f"{live_server.url}/lookup/?phone=13800001111")
    assert "未知号码" not in page.content() and "张三" in page.locator("#client-card").inner_text()
    page.screenshot(path=f"{shots}/lookup-zh.png", full_page=True)
