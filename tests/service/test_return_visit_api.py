"""The return-visit API: `GET /api/return-visits/` lists what the page lists (same scope, same filters), and
`POST /api/return-visits/{id}/record/` records a visit through the page's service (same answers, same effects)."""

import datetime

import pytest
from django.urls import reverse

from service.models import ReturnVisit, Task, Ticket

from .test_return_visits import DAY, browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(book):
    """One visit per client of the book, with different reasons, statuses and due dates."""
    rows = {"zhang": ("new_account", "due", DAY), "zhao": ("intermediary", "overdue", DAY - datetime.timedelta(3)),
            "li": ("complaint", "done", DAY + datetime.timedelta(3)), "wang": ("other", "due", DAY)}
    return {name: ReturnVisit.objects.create(client=book[name], reason=reason, status=status, due_on=due)
            for name, (reason, status, due) in rows.items()}


@pytest.mark.parametrize("who", ["admin", "am1", "am2", "bm_sh", "compliance", "agent"])
@pytest.mark.parametrize("query", [{}, {"status": "due"}, {"reason": "intermediary"},
                                   {"due_from": DAY.isoformat(), "due_to": DAY.isoformat()}, {"status": "overdue"}])
def test_the_api_lists_what_the_page_lists(api, staff, visits, who, query):
    page = browser(staff[who]).get(reverse("service:return_visits"), query)
    rest = api(staff[who]).get("/api/return-visits/", query)
    assert page.status_code == rest.status_code == 200
    assert sorted(r["id"] for r in rest.json()["results"]) == sorted(v.pk for v in page.context["object_list"])


def test_an_account_manager_sees_only_their_clients_visits(api, staff, visits):
    rows = api(staff["am1"]).get("/api/return-visits/").json()["results"]
    assert {r["client"]["name"] for r in rows} == {"张三", "赵敏"}
    assert api(staff["am1"]).get(f"/api/return-visits/{visits['li'].pk}/").status_code == 404


def test_recording_through_the_api_is_the_pages_service(api, staff, visits):
    visit = visits["zhang"]
    task = Task.objects.create(client=visit.client, kind="return_visit", due_on=DAY, owner=staff["am1"])
    visit.task = task
    visit.save(update_fields=["task"])
    refused = api(staff["am1"]).post(f"/api/return-visits/{visit.pk}/record/", {
        "channel": "phone", "questions": "q", "answers": "a", "problems": ["other"]}, format="json")
    assert refused.status_code == 400 and "notes" in refused.json()
    assert ReturnVisit.objects.get(pk=visit.pk).status == "due"
    response = api(staff["am1"]).post(f"/api/return-visits/{visit.pk}/record/", {
        "channel": "phone", "questions": "居间人是否承诺收益？", "answers": "承诺保本",
        "problems": ["profit_promise"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["done_by"], body["problems"]) == ("done", staff["am1"].username, ["profit_promise"])
    assert Task.objects.get(pk=task.pk).status == "done"
    assert Ticket.objects.get(pk=body["compliance_ticket"]).queue == "compliance"
    again = api(staff["am1"]).post(f"/api/return-visits/{visit.pk}/record/", {
        "channel": "phone", "questions": "q", "answers": "a"}, format="json")
    assert again.status_code == 400  # done once


@pytest.mark.parametrize(("who", "status"), [("am2", 404), ("bm_sh", 403), ("marketing", 403), ("backoffice", 403)])
def test_who_may_not_record_through_the_api(api, staff, visits, who, status):
    visit = visits["zhang"]
    response = api(staff[who]).post(f"/api/return-visits/{visit.pk}/record/", {
        "channel": "phone", "questions": "q", "answers": "a"}, format="json")
    assert response.status_code == status
    assert ReturnVisit.objects.get(pk=visit.pk).status == "due"


def test_the_list_costs_the_same_for_one_visit_or_many(api, staff, book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert api(staff["admin"]).get("/api/return-visits/").status_code == 200
        return len(queries)

    ReturnVisit.objects.create(client=book["zhang"], reason="other", due_on=DAY)
    one = cost()
    for name in ("zhao", "li", "wang"):
        ReturnVisit.objects.create(client=book[name], reason="other", due_on=DAY, status="done",
                                   done_by=staff["agent"])
    assert cost() == one
