"""The permission suite for the service pages and endpoints: role gates and row-level scope."""

import pytest

from service import services
from service.models import Survey
from service.roles import ACTIVITY_WRITE_ROLES, PROSPECT_WRITE_ROLES, TICKET_WRITE_ROLES

pytestmark = pytest.mark.django_db

ROLE_OF = {"admin": "administrator", "head": "head_office", "bm_sh": "branch_manager", "bm_bj": "branch_manager",
           "am1": "account_manager", "am2": "account_manager", "agent": "service_agent", "marketing": "marketing",
           "compliance": "compliance", "backoffice": "back_office"}
PAGE_USERS = [u for u in ROLE_OF if u != "backoffice"]

EVERYONE_PAGES = ["/service/my-day/", "/service/lookup/", "/lookup/?phone=1", "/service/tickets/",
                  "/service/tasks/", "/service/prospects/", "/service/activities/", "/service/care/",
                  "/service/surveys/", "/service/tickets/deadlines/"]
GATED_PAGES = {"/service/tickets/new/": TICKET_WRITE_ROLES, "/service/prospects/new/": PROSPECT_WRITE_ROLES,
               "/service/activities/new/": ACTIVITY_WRITE_ROLES}
# Who sees a ticket on zhang (am1's client in Shanghai).
SEES_ZHANG = {"admin", "head", "bm_sh", "am1", "agent", "marketing", "compliance", "backoffice"}


@pytest.fixture
def zhang_ticket(staff, book):
    return services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                channel="phone", subject="Delivery question")


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_pages_by_role(page, staff, who):
    browser = page(staff[who])
    for url in EVERYONE_PAGES:
        assert browser.get(url).status_code == (403 if who == "backoffice" else 200), (who, url)
    for url, roles in GATED_PAGES.items():
        assert browser.get(url).status_code == (200 if ROLE_OF[who] in roles else 403), (who, url)


def test_anonymous_is_sent_to_login(client, db):
    for url in EVERYONE_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    assert client.get("/api/lookup/phone/?number=1").status_code in (401, 403)


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_ticket_scope_on_page_and_api(page, api, staff, zhang_ticket, who):
    visible = who in SEES_ZHANG
    if who != "backoffice":
        assert page(staff[who]).get(f"/service/tickets/{zhang_ticket.pk}/").status_code == (200 if visible else 404)
        listing = page(staff[who]).get("/service/tickets/").content.decode()
        assert ("Delivery question" in listing) == visible, who
    rows = api(staff[who]).get("/api/tickets/").json()["results"]
    assert ([r["id"] for r in rows] == [zhang_ticket.pk]) == visible, who
    detail = api(staff[who]).get(f"/api/tickets/{zhang_ticket.pk}/")
    assert detail.status_code == (200 if visible else 404)


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_ticket_writes_by_role(api, staff, book, zhang_ticket, who):
    response = api(staff[who]).post(f"/api/tickets/{zhang_ticket.pk}/comment/", {"text": "note"}, format="json")
    allowed = ROLE_OF[who] in TICKET_WRITE_ROLES
    expected = 200 if allowed and who in SEES_ZHANG else (404 if allowed else 403)
    assert response.status_code == expected, who


def test_page_writes_refused_for_read_only_roles(page, staff, zhang_ticket):
    response = page(staff["marketing"]).post(f"/service/tickets/{zhang_ticket.pk}/",
                                             {"action": "status", "to_status": "in_progress"})
    assert response.status_code == 403
    zhang_ticket.refresh_from_db()
    assert zhang_ticket.status == "new"


def test_ticket_open_cannot_name_an_invisible_client(api, staff, book):
    response = api(staff["am2"]).post("/api/tickets/", {"client": book["zhang"].pk, "ticket_type": "suggestion",
                                                        "channel": "web", "subject": "x"}, format="json")
    assert response.status_code == 400
    assert page_404(staff, book)


def page_404(staff, book):
    from django.test import Client

    browser = Client()
    browser.force_login(staff["am2"])
    return browser.get(f"/service/tickets/new/?client={book['zhang'].pk}").status_code == 404


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_scoped_endpoints(api, staff, book, who):
    services.task_upsert(client=book["zhang"], kind="retention", due_on="2026-12-01")
    services.survey_record(client=book["zhang"], by=staff["am1"], satisfaction=7)
    services.message_send(client=book["zhang"], channel="sms", body="hi", by=staff["am1"])
    visible = who in SEES_ZHANG
    for url in ("/api/tasks/", "/api/surveys/", "/api/communications/"):
        count = api(staff[who]).get(url).json()["count"]
        assert count == (1 if visible else 0), (who, url)
    lookup = api(staff[who]).get("/api/lookup/phone/", {"number": book["zhang"].phone}).json()
    assert len(lookup["clients"]) == (1 if visible else 0)


def test_survey_results_on_the_client_page(page, staff, book):
    browser = page(staff["agent"])
    response = browser.post(f"/service/clients/{book['zhang'].pk}/survey/",
                            {"satisfaction": 8, "trades_elsewhere": "yes", "suggestion": "夜盘行情推送"})
    assert response.status_code == 302
    html = browser.get(f"/clients/{book['zhang'].pk}/").content.decode()
    assert "夜盘行情推送" in html and "8/10" in html
    survey = book["zhang"].surveys.get()
    assert survey.trades_elsewhere is True and survey.by == staff["agent"]
    assert page(staff["am2"]).post(f"/service/clients/{book['zhang'].pk}/survey/",
                                   {"satisfaction": 1}).status_code == 404


def test_survey_list_summarises_visible_surveys(page, staff, book):
    services.survey_record(client=book["zhang"], by=staff["am1"], satisfaction=6, trades_elsewhere=True,
                           answered_on="2026-10-01")
    services.survey_record(client=book["zhang"], by=staff["am1"], satisfaction=8, trades_elsewhere=False,
                           answered_on="2026-11-01")
    services.survey_record(client=book["li"], by=staff["am2"], satisfaction=10, trades_elsewhere=False)
    html = page(staff["am1"]).get("/service/surveys/").content.decode()
    assert "7.0" in html and "50.0%" in html and "李四" not in html
    # Every answer is kept, none overwritten; the nightly loyalty step reads each client's newest
    # (tests/segmentation/test_signals_value.py).
    answers = Survey.objects.order_by("client_id", "answered_on").values_list("client_id", "satisfaction",
                                                                              "trades_elsewhere")
    assert list(answers) == sorted([(book["zhang"].pk, 6, True), (book["zhang"].pk, 8, False),
                                    (book["li"].pk, 10, False)])
