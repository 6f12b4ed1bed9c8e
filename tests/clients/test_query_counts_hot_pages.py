"""The pages of the load mix (issue 16) cost the same number of queries for 5 rows or 50, for each role that uses
them: the client list and its searches (name, pinyin, phone, ID last four), the client page (5 or 50 contact logs,
assessments and tickets), the API list, and the caller screen-pop (1 or 5 clients on the number, with tickets)."""

import datetime

import pytest
from django.utils import timezone

from clients.models import Client, ContactLog, SuitabilityAssessment
from service import services as service_services
from tests.factories import ClientFactory

from .test_query_counts import count

pytestmark = pytest.mark.django_db

SEARCHES = {"list": "/clients/", "name": "/clients/?q=张三", "pinyin": "/clients/?q=zhangs",
            "phone": "/clients/?q=13900", "id tail": "/clients/?q=1234", "API list": "/api/clients/"}


def _clients(n, *, branch, manager, start=0):
    made = [ClientFactory(branch=branch, account_manager=manager, phone=f"13900{start + i:06d}") for i in range(n)]
    Client.objects.filter(pk__in=[c.pk for c in made]).update(id_last4="1234")
    return made


@pytest.mark.parametrize("role", ["am1", "agent", "admin"])
@pytest.mark.parametrize("what", list(SEARCHES))
def test_list_searches_and_api_list_cost_the_same_for_5_or_50_rows(client, staff, branches, role, what):
    client.force_login(staff[role])
    url = SEARCHES[what]
    whole_number_only = role == "agent" and what == "phone"  # the desk finds a phone by the whole number only
    if whole_number_only:
        url = "/clients/?q=13900000003"
    _clients(5, branch=branches[0], manager=staff["am1"])
    client.get(url)  # the session and the first reads of a page are not what grows
    few = count(lambda: client.get(url))
    _clients(45, branch=branches[0], manager=staff["am1"], start=5)
    response = client.get(url)
    assert response.status_code == 200
    shown = response.json()["count"] if url.startswith("/api/") else response.context["paginator"].count
    assert shown == (1 if whole_number_only else 50)
    assert count(lambda: client.get(url)) == few


def _history(c, n, staff):
    now = timezone.now()
    ContactLog.objects.bulk_create(ContactLog(client=c, by=staff["am1"], channel="phone", summary=f"call {i}",
                                              contacted_at=now - datetime.timedelta(hours=i)) for i in range(n))
    SuitabilityAssessment.objects.bulk_create(
        SuitabilityAssessment(client=c, investor_class="ordinary", risk_level="C3", assessed_by=staff["am1"],
                              assessed_on=datetime.date(2026, 1, 1) - datetime.timedelta(days=i),
                              expires_on=datetime.date(2029, 1, 1)) for i in range(n))
    for i in range(n):
        service_services.ticket_open(by=staff["agent"], client=c, ticket_type="suggestion", channel="web",
                                     subject=f"s {i}")


@pytest.mark.parametrize("role", ["am1", "agent", "admin"])
def test_client_page_costs_the_same_for_5_or_50_records(client, staff, branches, role):
    c = _clients(1, branch=branches[0], manager=staff["am1"])[0]
    client.force_login(staff[role])
    url = f"/clients/{c.pk}/"
    _history(c, 5, staff)
    client.get(url)
    few = count(lambda: client.get(url))
    _history(c, 45, staff)
    response = client.get(url)
    assert response.status_code == 200 and "call 44" in response.content.decode()
    assert count(lambda: client.get(url)) == few


@pytest.mark.parametrize("url", ["/api/lookup/phone/?number=139 0000 0000", "/lookup/?phone=13900000000"])
def test_screen_pop_costs_the_same_for_1_or_5_clients(client, staff, branches, url):
    client.force_login(staff["agent"])
    first = ClientFactory(branch=branches[0], account_manager=staff["am1"], phone="13900000000")
    service_services.ticket_open(by=staff["agent"], client=first, ticket_type="suggestion", channel="web",
                                 subject="s")
    client.get(url)
    few = count(lambda: client.get(url))
    for _i in range(4):  # the same number on four more accounts, each with open tickets
        other = ClientFactory(branch=branches[1], account_manager=staff["am2"], phone="13900000000")
        for j in range(3):
            service_services.ticket_open(by=staff["agent"], client=other, ticket_type="suggestion", channel="web",
                                         subject=f"s {j}")
    response = client.get(url)
    assert response.status_code == 200
    assert count(lambda: client.get(url)) == few


def _referrals(referrer, referred_clients):
    from referrals.models import Referral

    Referral.objects.bulk_create(
        Referral(referrer_client=referrer, referred_client=r, prospect_name=r.name, status="opened",
                 referred_on=datetime.date(2026, 1, 1)) for r in referred_clients)


@pytest.mark.parametrize("role", ["am1", "agent", "admin"])
def test_client_page_costs_the_same_for_1_or_5_referrals_made(client, staff, branches, role):
    referrer = _clients(1, branch=branches[0], manager=staff["am1"])[0]
    client.force_login(staff[role])
    url = f"/clients/{referrer.pk}/"
    _referrals(referrer, _clients(1, branch=branches[0], manager=staff["am1"], start=1))
    client.get(url)
    few = count(lambda: client.get(url))
    _referrals(referrer, _clients(2, branch=branches[0], manager=staff["am1"], start=2)
               + _clients(2, branch=branches[1], manager=staff["am2"], start=4))
    assert client.get(url).status_code == 200
    assert count(lambda: client.get(url)) == few


def test_referrals_panel_scopes_by_the_referred_clients_row_not_a_list_of_the_book(client, staff, branches):
    """The manager's client page lists the referrals to their own accounts, not another book's; the rule is read
    on each referred client's row (a join), not as `IN (every client of the manager)`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    referrer = _clients(1, branch=branches[0], manager=staff["am1"])[0]
    mine = _clients(1, branch=branches[0], manager=staff["am1"], start=1)[0]
    theirs = _clients(1, branch=branches[1], manager=staff["am2"], start=2)[0]
    _referrals(referrer, [mine, theirs])
    url = f"/clients/{referrer.pk}/"
    client.force_login(staff["am1"])
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert f"({mine.account_id})" in page and f"({theirs.account_id})" not in page
    panel = [q["sql"] for q in ctx.captured_queries if 'FROM "referrals_referral"' in q["sql"]
             and "referrer_client_id" in q["sql"]]
    assert panel and not any('IN (SELECT' in sql for sql in panel)
    client.force_login(staff["bm_sh"])  # the Shanghai branch manager: not the Beijing account
    page = client.get(url).content.decode()
    assert f"({mine.account_id})" in page and f"({theirs.account_id})" not in page
    client.force_login(staff["admin"])
    page = client.get(url).content.decode()
    assert f"({mine.account_id})" in page and f"({theirs.account_id})" in page


def test_client_page_panels_show_only_that_clients_rows(client, staff, branches):
    """Each panel reads by the page's client: another manager's client's tickets, tasks, contact logs, consents
    and referrals never appear on a manager's client page (the page itself is refused for the other client)."""
    from privacy import services as privacy_services
    from service import services as service_services

    mine = _clients(1, branch=branches[0], manager=staff["am1"])[0]
    theirs = _clients(1, branch=branches[1], manager=staff["am2"], start=1)[0]
    for c, who, manager in ((mine, "MINE", staff["am1"]), (theirs, "THEIRS", staff["am2"])):
        service_services.ticket_open(by=staff["agent"], client=c, ticket_type="suggestion", channel="web",
                                     subject=f"ticket-{who}")
        service_services.task_upsert(client=c, kind="call_back", due_on=datetime.date(2026, 1, 5),
                                     owner=manager, title=f"task-{who}")
        ContactLog.objects.create(client=c, by=manager, channel="phone", summary=f"call-{who}",
                                  contacted_at=timezone.now())
        privacy_services.consent_record(client=c, by=manager, channel="sms", purpose="service", given=True,
                                        how="paper", evidence=f"form-{who}")
    _referrals(theirs, _clients(1, branch=branches[1], manager=staff["am2"], start=2))
    client.force_login(staff["am1"])
    page = client.get(f"/clients/{mine.pk}/").content.decode()
    for what in ("ticket", "task", "call", "form"):
        assert f"{what}-MINE" in page and f"{what}-THEIRS" not in page
    assert client.get(f"/clients/{theirs.pk}/").status_code == 404
