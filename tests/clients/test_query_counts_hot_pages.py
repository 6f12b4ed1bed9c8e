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
