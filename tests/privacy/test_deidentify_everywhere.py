"""De-identification reaches every record holding the client's personal data (contact logs, messages, tickets and
their timeline, return visits, surveys, a converted prospect's card and visits, the referral that brought it in,
the audit trail's values), leaves other clients' records alone, and is restartable: a run stopped half way
leaves each client wholly done or untouched, and the next run finishes."""

import datetime

import pytest
from django.db import connection
from django.db.utils import DatabaseError

from clients.models import Client, ContactLog
from clients.services import client_update
from futures_crm.models import AuditEntry
from privacy import retention
from privacy.models import Deidentification
from referrals.models import Referral
from service.models import (
    ActivityRecipient,
    CommunicationLog,
    Prospect,
    ProspectVisit,
    ReturnVisit,
    Survey,
    Task,
    Ticket,
    TicketEvent,
)
from service.services import activity_create
from tests.factories import ClientFactory

D = datetime.date
ON = D(2026, 3, 1)
MARK = retention.DEIDENTIFIED_NAME


def closed(branch, name, phone):
    return ClientFactory(branch=branch, status="closed", close_date=D(2006, 3, 1), name=name, phone=phone,
                         email="x@example.com", address="上海市浦东新区 1 号")


def records_of(client, staff, tag):
    """One record of each holder, each carrying `tag` (a name, a phone number) in its free text."""
    ContactLog.objects.create(client=client, channel="phone", place=f"{tag}家", summary=f"{tag}说要加仓",
                              impression=f"{tag}很急", next_step=f"再打 {tag}")
    CommunicationLog.objects.create(client=client, channel="sms", subject=tag, body=f"{tag}您好", result="sent",
                                    detail=f"to {tag}")
    ticket = Ticket.objects.create(client=client, ticket_type="complaint", channel="phone", subject=f"{tag}投诉",
                                   description=f"{tag}称被误导", caller_phone=tag,
                                   deadline=datetime.datetime(2006, 1, 2, tzinfo=datetime.UTC))
    TicketEvent.objects.create(ticket=ticket, kind="comment", text=f"{tag}回电")
    ReturnVisit.objects.create(client=client, reason="other", due_on=D(2006, 1, 1), status="done",
                               questions=f"{tag}是否知晓风险", answers=f"{tag}知晓", notes=tag)
    Survey.objects.create(client=client, answered_on=D(2006, 1, 1), satisfaction=8, suggestion=tag, comments=tag)
    activity = activity_create(by=staff["marketing"], kind="seminar", title="研讨会", held_on=D(2005, 12, 1))
    ActivityRecipient.objects.create(activity=activity, client=client, response=f"{tag}会来")
    Task.objects.create(client=client, kind="care", due_on=D(2006, 1, 1), outcome=f"{tag}已联系")
    prospect = Prospect.objects.create(name=tag, phone=tag, email="p@example.com", notes=tag, source="staff",
                                       client=client)
    ProspectVisit.objects.create(prospect=prospect, said=f"{tag}想开户", impression=tag, assessment=tag)
    Referral.objects.create(referred_client=client, prospect_name=tag, prospect_phone=tag, note=tag,
                            referred_on=D(2005, 1, 1), referrer_staff=staff["am1"])


def everything_text(client) -> str:
    """Every value of every holder's rows of `client`, and its audit trail, as one string."""
    parts = []
    for app, model_name, path, fields in retention.PERSONAL_DATA_HOLDERS:
        from django.apps import apps

        model = apps.get_model(app, model_name)
        parts += [str(v) for row in model.objects.filter(**{path: client}).values_list(*fields) for v in row]
    parts += [str(row) for row in AuditEntry.objects.filter(client=client).values_list("before", "after")]
    return " ".join(parts)


@pytest.fixture
def pair(branches, staff, settings):
    settings.PERSONAL_DATA_RETENTION_YEARS = 20
    due = closed(branches[0], "钱到期", "13900000001")
    other = closed(branches[0], "孙另户", "13900000002")
    other.close_date = D(2010, 1, 1)  # not due yet
    other.save(update_fields=["close_date"])
    records_of(due, staff, "钱到期13900000001")
    records_of(other, staff, "孙另户13900000002")
    client_update(client=due, by=staff["admin"], address="北京市朝阳区 2 号")  # an audited change of an address
    client_update(client=other, by=staff["admin"], address="北京市海淀区 3 号")
    return due, other


def test_every_holder_of_the_clients_data_is_cleared_and_nothing_else(pair):
    due, other = pair
    assert "钱到期" in everything_text(due) and "上海市浦东新区" in everything_text(due)
    assert retention.deidentify_due(on=ON) == 1
    text = everything_text(due)
    assert "钱到期" not in text and "13900000001" not in text and "上海市浦东新区" not in text
    assert "北京市朝阳区" not in text
    # The records stay, with their dates and kinds; a required text carries the marker.
    assert ContactLog.objects.get(client=due).summary == MARK
    assert Ticket.objects.get(client=due).subject == MARK and Ticket.objects.get(client=due).caller_phone == ""
    assert ReturnVisit.objects.get(client=due).status == "done"
    assert Prospect.objects.get(client=due).name == MARK
    audit = AuditEntry.objects.get(client=due, action="client.update")
    assert audit.before["address"] == MARK and audit.after["address"] == MARK
    # The client not yet due keeps everything.
    assert "孙另户13900000002" in everything_text(other) and "北京市海淀区" in everything_text(other)
    fields = Deidentification.objects.get(client=due).fields
    assert "phone" in fields and "service.ReturnVisit.answers" in fields and "service.Ticket.caller_phone" in fields


def test_a_run_killed_half_way_leaves_no_client_half_done_and_the_rerun_finishes(pair, branches, staff):
    due, other = pair
    third = closed(branches[0], "周第三", "13900000003")
    records_of(third, staff, "周第三13900000003")
    # A real failure inside the second batch, after its holders were cleared: the client row refuses the update.
    with connection.cursor() as cur:
        cur.execute("""
            CREATE FUNCTION test_refuse_deidentify() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'killed half way'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_refuse_deidentify BEFORE UPDATE ON clients_client
            FOR EACH ROW WHEN (OLD.name = '周第三') EXECUTE FUNCTION test_refuse_deidentify();
        """)
    with pytest.raises(DatabaseError):
        retention.deidentify_due(on=ON, batch_size=1)
    # The first batch stands, whole; the second left nothing behind.
    assert Deidentification.objects.filter(client=due).exists()
    assert not Deidentification.objects.filter(client=third).exists()
    assert "周第三13900000003" in everything_text(third)
    assert ContactLog.objects.get(client=third).summary == "周第三13900000003说要加仓"
    assert Client.objects.get(pk=third.pk).name == "周第三"
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER test_refuse_deidentify ON clients_client; DROP FUNCTION test_refuse_deidentify();")
    assert retention.deidentify_due(on=ON, batch_size=1) == 1  # the rerun finishes
    assert "周第三" not in everything_text(third) and Client.objects.get(pk=third.pk).name == MARK
    assert retention.deidentify_due(on=ON) == 0  # and a further rerun finds nothing
    assert AuditEntry.objects.filter(action="client.deidentify").count() == 2
    assert "孙另户13900000002" in everything_text(other)
