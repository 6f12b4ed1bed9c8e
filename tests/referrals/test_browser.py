"""The intermediary and handover pages in a real browser, in Chinese (screenshots under var/screenshots/)."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest

from clients.models import StaffProfile
from referrals import services
from referrals.models import Intermediary, IntermediaryTraining
from tests.factories import PASSWORD, ClientFactory

from .conftest import link, settle, trade

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop; the ORM calls in the test body are still synchronous.
    # monkeypatch restores the environment, so later subprocesses (check --deploy) never inherit it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        yield page
        browser.close()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")


def test_intermediary_pages_in_chinese(browser_page, live_server, staff, book):
    page = browser_page
    day = datetime.date.today() - datetime.timedelta(days=1)
    ib = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=Decimal("0.4"),
                                     contract_end=day + datetime.timedelta(days=10))
    IntermediaryTraining.objects.create(intermediary=ib, trained_on=day, hours=4, topic="居间人合规培训")
    for i in range(3):
        c = ClientFactory(branch=book["zhang"].branch, name=f"客户{i}", account_manager=staff["am1"])
        link(c, ib)
        trade(c, day, instrument="ag2512", buy=5, turnover="100000", commission="30", exchange_fee="10")
        settle(c, day, equity="-100" if i == 0 else "50000", commission="30", exchange_fee="10")
    services.rebate_statement_draft(intermediary=ib, month=day, by=staff["compliance"])
    _login(page, live_server, "comp_u")
    page.goto(f"{live_server.url}/relationships/intermediaries/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")  # the switch submits a form: wait for the new page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "intermediaries.png"), full_page=True)
    assert "居间人" in page.content() and "预警信号" in page.content()
    page.click("text=IB001")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "intermediary_detail.png"), full_page=True)
    body = page.content()
    assert "合同 30 天内到期或已到期" in body and "同向交易" in body and "ag2512" in body
    page.click(f"text={day:%Y-%m}")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "statement.png"), full_page=True)
    assert "24.00" in page.content()  # 3 × (30 − 10) × 0.4


def test_handover_page_in_browser(browser_page, live_server, staff, book):
    page = browser_page
    _login(page, live_server, "bm_sh")
    page.goto(f"{live_server.url}/relationships/handover/")
    page.select_option("select[name=leaving_manager]", str(staff["am1"].pk))
    page.select_option("select[name=successors]", [str(staff["am2"].pk)])
    page.select_option("select[name=strategy]", "equity")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert book["zhang"].account_id in page.content()
    page.fill("textarea[name=reason]", "离职交接")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "handover_preview.png"), full_page=True)
    page.click("form.card button.primary")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "after_handover.png"), full_page=True)
    assert "交接完成：已移交 2 位客户" in page.content()
    assert not StaffProfile.objects.get(user=staff["am1"]).is_active


def test_client_page_relationship_panel(browser_page, live_server, staff, book):
    page = browser_page
    day = datetime.date.today()
    ib = Intermediary.objects.create(code="IB001", name="周居间")
    link(book["zhang"], ib)
    services.client_reassign(client=book["zhang"], to_manager=staff["am2"], by=staff["bm_sh"], reason="客户要求")
    services.referral_create(by=staff["am2"], prospect_name="陈六", referred_on=day, referrer_client=book["zhang"])
    services.club_membership_set(client=book["zhang"], by=staff["admin"], level="gold", status="active")
    _login(page, live_server, "bm_sh")
    page.goto(f"{live_server.url}/clients/{book['zhang'].pk}/")
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")  # the switch submits a form: wait for the new page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#relationships").screenshot(path=str(SHOTS / "client_panel.png"))
    panel = page.locator("#relationships").inner_text()
    assert "客户要求" in panel and "周居间" in panel and "陈六" in panel and "金卡" in panel
