"""No server error when a record's person is missing: a complaint with no owner (the compliance queue), an
audit entry made by the system (no actor), a reward whose approver was deleted, and a superuser made with
`createsuperuser` (no staff profile), who works everywhere as an administrator."""

import html
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client as Browser
from rest_framework.test import APIClient

from futures_crm.people import display_name, employee_code
from tests.api.world import DAYS, build_world

SKIP = ("/static/", "/admin/", "/api/", "/logout/", "/i18n/", "/login/")
# Query parameters that open another view of a page; the others (sorting, filters, paging) only narrow it.
VIEW_PARAMS = {"tab", "export"}


@pytest.fixture
def world(db):
    return build_world()


def _browser(user) -> Browser:
    browser = Browser(raise_request_exception=False)
    browser.force_login(user)
    return browser


def crawl(user, start: list[str], limit: int = 250) -> tuple[int, list[str]]:
    """Every page reachable by links from `start` (one view of each): (pages seen, those that failed)."""
    browser = _browser(user)
    queue, seen, failed = deque(start), set(), []
    while queue and len(seen) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        key = (parts.path, urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k in VIEW_PARAMS)))
        if key in seen:
            continue
        seen.add(key)
        response = browser.get(url)
        if response.status_code >= 500:
            failed.append(f"{url}: {response.status_code}")
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            for href in re.findall(r'href="(/[^"#]*)"', response.content.decode()):
                href = html.unescape(href)
                if not href.startswith(SKIP):
                    queue.append(href)
    return len(seen), failed


@pytest.mark.parametrize("who", ["root", "am"])
def test_every_page_reachable_renders(world, who):
    """The superuser without a staff profile and an account manager follow every link of the site."""
    start = ["/", f"/service/tickets/{world['complaint'].pk}/", f"/clients/{world['clients'][0].pk}/?tab=audit",
             f"/relationships/referrals/{world['referral'].pk}/"]
    pages, failed = crawl(world[who], start)
    assert failed == [] and pages > 40, (pages, failed)


def test_a_complaint_in_the_compliance_queue_has_no_owner_and_its_page_shows_it(world):
    ticket = world["complaint"]
    assert ticket.owner is None and ticket.queue == "compliance"
    page = _browser(world["root"]).get(f"/service/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert re.search(r"<dt>Owner</dt><dd>—</dd>", page.content.decode())


def test_the_audit_tab_shows_an_entry_made_by_the_system(world):
    page = _browser(world["root"]).get(f"/clients/{world['clients'][0].pk}/?tab=audit")
    assert page.status_code == 200
    assert "client.update" in page.content.decode()


def test_the_client_page_shows_an_assignment_and_a_contact_by_nobody(world):
    page = _browser(world["admin"]).get(f"/clients/{world['clients'][0].pk}/")
    assert page.status_code == 200 and "导入" in page.content.decode() and "电话回访" in page.content.decode()


def test_a_superuser_without_a_staff_profile_uses_the_referrals_api_as_an_administrator(world):
    api = APIClient()
    api.force_authenticate(world["root"])
    rows = api.get("/api/referrals/").json()["results"]
    mine = next(r for r in rows if r["id"] == world["referral"].pk)
    assert mine["referrer_staff"] is None  # no staff profile, so no employee code
    assert api.get(f"/api/referrals/{world['referral'].pk}/").status_code == 200
    created = api.post("/api/referrals/", {"prospect_name": "新朋友", "referred_on": DAYS[0]}, format="json")
    assert created.status_code == 201 and created.json()["referrer_staff"] is None
    advanced = api.post(f"/api/referrals/{created.json()['id']}/advance/", {"status": "contacted", "on": DAYS[1]},
                        format="json")
    assert advanced.status_code == 200 and advanced.json()["status"] == "contacted"
    reward = api.post(f"/api/referrals/{created.json()['id']}/rewards/", {"what": "红包", "given_on": DAYS[1]},
                      format="json")
    assert reward.status_code == 201 and reward.json()["approved_by"] == "root"
    assert api.get(f"/api/referrals/{world['referral'].pk}/rewards/").status_code == 200
    export = _browser(world["root"]).get("/relationships/referrals/?export=csv")
    assert export.status_code == 200 and "root" in b"".join(export.streaming_content).decode("utf-8-sig")


def test_naming_a_person_survives_absence(world):
    assert display_name(None) == "—" and employee_code(None) == ""
    assert display_name(world["root"]) == "root" and employee_code(world["root"]) == ""
    assert display_name(world["am"]) == "王经理" and employee_code(world["am"]) == "AM101"


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name → (kind, value)), as a browser would fill them."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self.current)
        elif self.current is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            self.current["fields"].setdefault(a["name"], (kind, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


BAD = {"date": "2025-02-30", "number": "abc", "text": "abc", "textarea": "abc", "select": "abc", "email": "abc",
       "datetime-local": "abc", "tel": "abc", "search": "abc"}


def test_every_form_posted_with_bad_numbers_and_dates_answers_without_a_server_error(world):
    """Each POST form a superuser reaches, every field typed wrong: a page that says so, never a 500."""
    browser = _browser(world["root"])
    pages = ["/", f"/service/tickets/{world['complaint'].pk}/", f"/clients/{world['clients'][0].pk}/",
             f"/relationships/referrals/{world['referral'].pk}/",
             f"/relationships/intermediaries/{world['intermediary'].pk}/", "/service/tickets/deadlines/",
             f"/service/activities/{world['activity'].pk}/", f"/service/prospects/{world['prospect'].pk}/",
             "/service/tickets/new/", "/service/care/", "/segments/runs/", "/segments/policy/",
             f"/relationships/intermediaries/{world['intermediary'].pk}/leave/", "/relationships/handover/",
             "/relationships/referrals/new/", "/relationships/intermediaries/new/", "/service/prospects/new/",
             f"/clients/{world['clients'][0].pk}/edit/", "/account/"]
    failed, posted = [], 0
    for url in pages:
        parser = _Forms()
        parser.feed(browser.get(url).content.decode())
        for form in parser.forms:
            action = form["action"] or url
            if action.startswith(("/logout/", "/i18n/")):
                continue
            data = {name: value if kind in ("hidden", "submit", "checkbox", "radio") else BAD.get(kind, "abc")
                    for name, (kind, value) in form["fields"].items()}
            response = browser.post(action, data)
            posted += 1
            if response.status_code >= 500:
                failed.append(f"{action} {data}: {response.status_code}")
    assert failed == [] and posted > 20, (posted, failed)
