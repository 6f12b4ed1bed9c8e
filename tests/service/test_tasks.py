"""Tasks: one open per client and kind, completion, the API filter the other issues rely on."""

import datetime

import pytest

from service import services
from service.models import Task

pytestmark = pytest.mark.django_db
D = datetime.date


def test_upsert_updates_the_open_task_instead_of_duplicating(book, staff):
    first = services.task_upsert(client=book["zhang"], kind="retention", due_on=D(2026, 12, 1), source="nightly")
    again = services.task_upsert(client=book["zhang"], kind="retention", due_on=D(2026, 12, 3), title="Call")
    assert first.pk == again.pk and Task.objects.count() == 1
    again.refresh_from_db()
    assert again.due_on == D(2026, 12, 3) and again.owner == staff["am1"]
    other_kind = services.task_upsert(client=book["zhang"], kind="care", due_on=D(2026, 12, 1))
    assert other_kind.pk != first.pk
    services.task_complete(task=again, by=staff["am1"], outcome="Client will stay")
    reopened = services.task_upsert(client=book["zhang"], kind="retention", due_on=D(2027, 1, 5))
    assert reopened.pk != first.pk
    assert Task.objects.filter(client=book["zhang"], kind="retention").count() == 2


def test_api_filters_by_account_and_kind_and_creates_through_upsert(api, staff, book):
    services.task_upsert(client=book["zhang"], kind="retention", due_on=D(2026, 12, 1))
    services.task_upsert(client=book["zhang"], kind="care", due_on=D(2026, 12, 1))
    services.task_upsert(client=book["li"], kind="retention", due_on=D(2026, 12, 1))
    client = api(staff["admin"])
    rows = client.get("/api/tasks/", {"account_id": book["zhang"].account_id, "kind": "retention"}).json()["results"]
    assert [(r["client"]["account_id"], r["kind"]) for r in rows] == [(book["zhang"].account_id, "retention")]
    created = client.post("/api/tasks/", {"account_id": book["zhang"].account_id, "kind": "retention",
                                          "due_on": "2026-12-09"}, format="json")
    assert created.status_code == 201 and created.json()["id"] == rows[0]["id"]
    assert created.json()["due_on"] == "2026-12-09"
    done = client.post(f"/api/tasks/{rows[0]['id']}/complete/", {"outcome": "called"}, format="json")
    assert done.json()["status"] == "done"
    # am2 sees neither zhang's task nor can complete it.
    assert api(staff["am2"]).get("/api/tasks/", {"account_id": book["zhang"].account_id}).json()["count"] == 0


def test_tasks_page_completes_with_outcome(page, staff, book):
    task = services.task_upsert(client=book["zhang"], kind="call_back", due_on=D(2026, 12, 1))
    browser = page(staff["am1"])
    listing = browser.get("/service/tasks/")
    assert "张三" in listing.content.decode()
    browser.post(f"/service/tasks/{task.pk}/complete/", {"action": "complete", "outcome": "Confirmed margin"})
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "Confirmed margin")
    assert page(staff["am2"]).post(f"/service/tasks/{task.pk}/complete/",
                                   {"action": "complete", "outcome": "x"}).status_code == 404


def test_task_page_on_a_client_upserts(page, staff, book):
    browser = page(staff["agent"])
    url = f"/service/clients/{book['zhang'].pk}/task/"
    browser.post(url, {"kind": "call_back", "due_on": "2026-12-01", "title": "Call about fees"})
    browser.post(url, {"kind": "call_back", "due_on": "2026-12-02", "title": "Call about fees, again"})
    task = Task.objects.get(client=book["zhang"])
    assert (task.due_on, task.owner, task.title) == (D(2026, 12, 2), staff["am1"], "Call about fees, again")
    assert "Call about fees, again" in browser.get(f"/clients/{book['zhang'].pk}/").content.decode()
