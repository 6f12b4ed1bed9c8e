"""The ticket state machine, routing, reassignment audit and satisfaction."""

import pytest
from django.core.exceptions import ValidationError

from futures_crm.models import AuditEntry
from service import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(staff, book):
    return services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                channel="phone", subject="How is margin computed on rb2505?")


def test_full_path_and_reopen(ticket, staff):
    agent = staff["agent"]
    for step in ("in_progress", "waiting", "in_progress"):
        services.ticket_transition(ticket=ticket, to_status=step, by=agent)
    services.ticket_transition(ticket=ticket, to_status="resolved", by=agent, note="Explained the exchange rate")
    assert ticket.resolved_at is not None
    services.ticket_record_satisfaction(ticket=ticket, by=agent, score=9)
    services.ticket_transition(ticket=ticket, to_status="closed", by=agent)
    services.ticket_transition(ticket=ticket, to_status="in_progress", by=agent, note="Client called back")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.resolved_at is None and ticket.satisfaction is None
    kinds = list(ticket.events.values_list("kind", "to_status"))
    assert kinds[0] == ("created", "")
    assert ("status", "closed") in kinds and kinds[-1] == ("status", "in_progress")


@pytest.mark.parametrize("path,refused", [
    ([], "closed"),
    (["in_progress"], "new"),
    (["resolved"], "waiting"),
    (["resolved", "closed"], "resolved"),
])
def test_refused_transitions_say_why(ticket, staff, path, refused):
    for step in path:
        services.ticket_transition(ticket=ticket, to_status=step, by=staff["agent"], note="done")
    before = ticket.status
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(ticket=ticket, to_status=refused, by=staff["agent"], note="x")
    assert "cannot go from" in str(exc.value)
    ticket.refresh_from_db()
    assert ticket.status == before


def test_resolving_needs_a_note_and_satisfaction_waits_for_resolution(ticket, staff):
    with pytest.raises(ValidationError):
        services.ticket_transition(ticket=ticket, to_status="resolved", by=staff["agent"])
    with pytest.raises(ValidationError):
        services.ticket_record_satisfaction(ticket=ticket, by=staff["agent"], score=8)
    services.ticket_transition(ticket=ticket, to_status="resolved", by=staff["agent"], note="ok")
    with pytest.raises(ValidationError):
        services.ticket_record_satisfaction(ticket=ticket, by=staff["agent"], score=11)


def test_routing(staff, book):
    complaint = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint",
                                     channel="phone", subject="Fees")
    assert (complaint.queue, complaint.owner) == ("compliance", None)
    managed = services.ticket_open(by=staff["agent"], client=book["li"], ticket_type="account_change",
                                   channel="web", subject="New bank card")
    assert (managed.queue, managed.owner) == ("account_manager", staff["am2"])
    orphan = services.ticket_open(by=staff["agent"], client=book["wang"], ticket_type="market_consultation",
                                  channel="phone", subject="Soybean outlook")
    assert (orphan.queue, orphan.owner) == ("service_desk", None)
    unknown = services.ticket_open(by=staff["agent"], ticket_type="trading_consultation", channel="phone",
                                   subject="How to open an account", caller_phone="13912345678")
    assert unknown.queue == "service_desk" and unknown.client is None


def test_reassignment_is_audited_and_on_the_timeline(ticket, staff):
    services.ticket_assign(ticket=ticket, by=staff["bm_sh"], owner=staff["am2"], queue="account_manager",
                           reason="am1 on leave")
    entry = AuditEntry.objects.get(action="ticket.reassign")
    assert entry.before == {"owner": staff["am1"].pk} and entry.after == {"owner": staff["am2"].pk}
    assert entry.actor == staff["bm_sh"] and entry.reason == "am1 on leave"
    assert ticket.events.filter(kind="assign").exists()


def test_api_refused_transition_is_a_400_with_the_reason(api, staff, ticket):
    response = api(staff["agent"]).post(f"/api/tickets/{ticket.pk}/transition/", {"to_status": "closed"},
                                        format="json")
    assert response.status_code == 400
    assert "cannot go from" in str(response.json())


def test_api_open_and_resolve(api, staff, book):
    client = api(staff["agent"])
    created = client.post("/api/tickets/", {"client": book["zhao"].pk, "ticket_type": "market_consultation",
                                            "channel": "wechat", "subject": "Copper view"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.post(f"/api/tickets/{pk}/comment/", {"text": "Sent the research note", "reply": True},
                       format="json").status_code == 200
    resolved = client.post(f"/api/tickets/{pk}/transition/", {"to_status": "resolved", "note": "answered"},
                           format="json")
    assert resolved.json()["status"] == "resolved"
    assert client.post(f"/api/tickets/{pk}/satisfaction/", {"score": 10}, format="json").json()["satisfaction"] == 10
    kinds = [e["kind"] for e in client.get(f"/api/tickets/{pk}/timeline/").json()]
    assert kinds == ["created", "reply", "status", "satisfaction"]


def test_unknown_callers_ticket_is_linked_once_identified(page, api, staff, book):
    ticket = services.ticket_open(by=staff["agent"], ticket_type="trading_consultation", channel="phone",
                                  subject="Delivery fees", caller_phone="13800001111")
    page(staff["agent"]).post(f"/service/tickets/{ticket.pk}/", {"action": "link",
                                                                 "account_id": book["zhang"].account_id})
    ticket.refresh_from_db()
    assert ticket.client == book["zhang"] and (ticket.queue, ticket.owner) == ("account_manager", staff["am1"])
    other = services.ticket_open(by=staff["agent"], ticket_type="suggestion", channel="phone", subject="x")
    response = api(staff["agent"]).post(f"/api/tickets/{other.pk}/link/", {"account_id": book["li"].account_id},
                                        format="json")
    assert response.json()["client"]["account_id"] == book["li"].account_id
    again = api(staff["agent"]).post(f"/api/tickets/{other.pk}/link/", {"account_id": book["zhao"].account_id},
                                     format="json")
    assert again.status_code == 400


def test_a_ticket_waiting_in_a_queue_without_an_owner_opens(page, staff, book):
    complaint = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint",
                                     channel="phone", subject="Nobody warned me")
    assert (complaint.queue, complaint.owner) == ("compliance", None)
    response = page(staff["compliance"]).get(f"/service/tickets/{complaint.pk}/")
    assert response.status_code == 200 and "Nobody warned me" in response.content.decode()
