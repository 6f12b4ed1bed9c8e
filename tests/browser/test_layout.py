"""The layout holds: each page role opens the main pages in English and Chinese at 1366 and 800 px wide, and no
page scrolls sideways nor has an element sticking out of its container (issue 13). A screenshot of each page,
in each language and width, goes to var/screenshots/<lang>-<width>-<page>.png (kept by CI as artefacts).

One small demo brokerage is built for the module, committed, and served by the module's own live server (pytest-django's
`live_server` would make each test transactional, flushing the data after the first); the database is flushed at
the end. One Chromium serves every test.
"""

import datetime
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

# django_db: the test database is only set up for a session whose tests ask for it (the tests read nothing).
pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.flushes_db]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1366, 800)
LANGUAGES = ("en", "zh-hans")
TODAY = datetime.date(2026, 6, 30)
# The demo's logins, one per page role.
ROLES = ("admin", "head", "branch_sh01", "manager", "service", "marketing", "compliance")
# Main pages: name → (path, or a function of the role's user giving it; the role whose screenshot is kept).
PAGES = {
    "clients": ("/clients/", "manager"),
    "client": (lambda user: f"/clients/{_visible(user, 'clients.Client').first().pk}/", "manager"),
    "my-day": ("/service/my-day/", "manager"),
    "tickets": ("/service/tickets/", "service"),
    "ticket": (lambda user: f"/service/tickets/{_visible(user, 'service.Ticket').first().pk}/", "service"),
    "segments": ("/segments/", "head"),
    "runs": ("/segments/runs/", "head"),
    "import": ("/clients/imports/", "head"),
    "quarantine": ("/clients/imports/quarantine/", "head"),
    "intermediaries": ("/relationships/intermediaries/", "compliance"),
    "referrals": ("/relationships/referrals/", "marketing"),
    "prospects": ("/service/prospects/", "marketing"),
    "activities": ("/service/activities/", "marketing"),
    "lookup": (lambda user: f"/lookup/?phone={_visible(user, 'clients.Client').exclude(phone='').first().phone}",
               "service"),
}

# What the test measures in the page (the page itself has no script for it): a sideways scrollbar; any element
# whose content is wider than its box, outside the scroll containers (.card, .table-wrap) that exist to hold a
# wide table; and a button whose text has the colour of its background.
OVERFLOW_JS = """() => {
  const root = document.documentElement, found = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const text = (el) => el.innerText.slice(0, 60).replace(/\\s+/g, " ");
  if (root.scrollWidth > root.clientWidth) {
    found.push(`page scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.getClientRects().length || el.closest("table, svg, select, option")) continue;
    const style = getComputedStyle(el);
    if (style.display.startsWith("inline") && style.display !== "inline-block") continue;
    const extra = el.scrollWidth - el.clientWidth;
    if (extra <= 1) continue;
    const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
    const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (scrolls && [...el.querySelectorAll("table")].some((t) => t.offsetWidth > inner + 1)) continue;
    found.push(`${name(el)} is ${extra}px too narrow for its content: ${text(el)}`);
  }
  for (const table of document.querySelectorAll("table.grid")) {
    let box = table.parentElement;
    while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    if (!box) found.push(`table.grid "${text(table)}" is in no scrolling box (.card, .table-wrap)`);
  }
  for (const el of document.querySelectorAll("a.button, button.primary")) {
    const style = getComputedStyle(el);
    if (el.getClientRects().length && style.color === style.backgroundColor) {
      found.push(`${name(el)} "${text(el)}" has its text in its background colour`);
    }
  }
  return found;
}"""

# The brand, every menu and the tools sit on one line.
ONE_LINE_JS = """() => {
  const parts = [...document.querySelectorAll(".topbar .brand, .mainnav li.menu, .topbar .tools")];
  const tops = parts.map((el) => el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2);
  return parts.length > 3 && Math.max(...tops) - Math.min(...tops) < 8;
}"""


def _visible(user, label):
    from django.apps import apps

    return apps.get_model(label).objects.visible_to(user).order_by("pk")


@pytest.fixture(scope="module")
def site(chromium, django_db_setup, django_db_blocker):
    """A small demo (every role's login, a week of settlement, nightly runs) plus a file with quarantined rows,
    served live: gives the server's address and each (role, page)'s path."""
    from django.contrib.auth import get_user_model
    from pytest_django.live_server_helper import LiveServer

    from clients.imports.services import import_run

    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("demo_data", "--clients", "40", "--seed", "5", "--today", TODAY.isoformat(), "--days", "5",
                     stdout=io.StringIO())
        users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
        rows = [{"trade_date": "2026-06-30", "account_id": f"9900000{n}", "pre_balance": "x", "deposit": "0",
                 "withdrawal": "0", "close_profit": "0", "position_profit": "0", "commission": "0",
                 "exchange_fee": "0", "balance": "0", "equity": "0", "margin": "0", "available": "0",
                 "margin_call": "0"} for n in range(3)]
        import_run(kind="accounts", rows=rows, by=users["head"], partial=True, file_name="broken.csv")
        urls = {(role, page): path(users[role]) if callable(path) else path
                for role in ROLES for page, (path, _owner) in PAGES.items()}
        server = LiveServer("127.0.0.1")
        server._live_server_modified_settings.enable()
        try:
            yield server.url, urls
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", "--no-input", verbosity=0)
            connections.close_all()


@pytest.fixture(scope="module")
def chromium(django_db_setup):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    # Playwright's greenlets see other context variables, hence other database connections: one opened before
    # would stay open, unseen, and keep the test database from being dropped at the end.
    connections.close_all()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(chromium, base, username):
    from clients.demo import DEMO_PASSWORD

    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


@pytest.mark.parametrize("role", ROLES)
def test_pages_hold_their_layout_in_both_languages_and_widths(site, chromium, role):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, urls = site
    context, page = sign_in(chromium, base, role)
    problems, opened = [], []
    try:
        for lang in LANGUAGES:
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(base + urls[role, "clients"])
            assert page.evaluate(ONE_LINE_JS), f"{role} {lang}: the top bar does not fit one line at 1280 px"
            for name, (_path, owner) in PAGES.items():
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                response = page.goto(base + urls[role, name])
                if response.status == 403:
                    assert role != owner, f"{role} may not open {name}"
                    continue
                assert response.status == 200, f"{role} {name}: {response.status}"
                assert page.locator("html").get_attribute("lang") == lang
                opened.append(name)
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    problems += [f"{role} {lang} {width} {name}: {p}" for p in page.evaluate(OVERFLOW_JS)]
                    if role == owner:
                        page.screenshot(path=str(SHOTS / f"{lang}-{width}-{name}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert opened, f"{role} opened no page"


def test_a_menu_opens_and_closes_by_keyboard(site, chromium):
    base, urls = site
    context, page = sign_in(chromium, base, "admin")
    try:
        page.goto(base + urls["admin", "clients"])
        summary = page.locator(".mainnav li[data-menu=service] summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator(".mainnav li[data-menu=service] details").get_attribute("open") is not None
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('li[data-menu]').dataset.menu") == "service"
        page.keyboard.press("Escape")
        assert page.locator(".mainnav details[open]").count() == 0
        # Opening another menu closes the first; the entry of the current section is marked.
        page.locator(".mainnav li[data-menu=service] summary").click()
        page.locator(".mainnav li[data-menu=relationships] summary").click()
        assert page.locator(".mainnav details[open]").count() == 1
        page.locator(".mainnav li[data-menu=relationships] a", has_text="Intermediaries").click()
        page.wait_for_url("**/relationships/intermediaries/")
        assert page.locator(".mainnav li.menu.current").get_attribute("data-menu") == "relationships"
    finally:
        context.close()
