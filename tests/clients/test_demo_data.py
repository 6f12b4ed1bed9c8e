"""`manage.py demo_data`: a realistic brokerage, the same for the same seed."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction

from clients.demo import DEMO_PASSWORD
from clients.identity import id_card_valid, uscc_valid
from clients.models import AccountSettlement, Branch, Client, ContactLog, StaffProfile, SuitabilityAssessment
from futures_crm.roles import Role, user_role

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 30)


def load(n=120, seed=7, *extra):
    out = io.StringIO()
    call_command("demo_data", "--clients", str(n), "--seed", str(seed), "--today", TODAY.isoformat(), *extra,
                 stdout=out)
    return out.getvalue()


def fingerprint():
    return list(Client.objects.order_by("account_id").values_list(
        "account_id", "name", "client_type", "id_number", "branch__code", "account_manager__username", "status",
        "risk_level"))


def test_a_realistic_brokerage(client):
    output = load()
    assert "Administrator" in output and DEMO_PASSWORD in output
    assert Branch.objects.values("city").distinct().count() >= 5
    roles = set(StaffProfile.objects.values_list("role", flat=True))
    assert roles == set(Role)
    clients = list(Client.objects.all())
    assert len(clients) == 120
    assert {c.client_type for c in clients} == {"individual", "institution", "spot_enterprise",
                                                "financial_institution"}
    for c in clients:
        assert (id_card_valid if c.id_type == "id_card" else uscc_valid)(c.id_number), c.id_number
        assert c.name_initials and c.name_pinyin
        assert any("\u4e00" <= ch <= "\u9fff" for ch in c.name)
    assert any(c.referrer_id for c in clients) and any(c.intermediary_code for c in clients)
    assert SuitabilityAssessment.objects.count() >= 100
    assert SuitabilityAssessment.objects.filter(expires_on__lt=TODAY).exists()
    assert ContactLog.objects.count() > 120
    manager = StaffProfile.objects.get(user__username="manager").user
    assert user_role(manager) == Role.ACCOUNT_MANAGER and manager.managed_clients.exists()
    assert client.login(username="admin", password=DEMO_PASSWORD)
    assert client.get("/clients/").context["paginator"].count == 120
    assert client.login(username="manager", password=DEMO_PASSWORD)
    assert client.get("/clients/").context["paginator"].count == manager.managed_clients.count()


def test_same_seed_same_book_and_if_empty_keeps_it():
    load()
    first = fingerprint()
    assert "nothing loaded" in load(500, 99, "--if-empty")
    assert fingerprint() == first
    Client.objects.all().delete()
    load()
    assert fingerprint() == first


def test_other_seed_other_book():
    load(seed=1)
    first = fingerprint()
    Client.objects.all().delete()
    load(seed=2)
    assert fingerprint() != first


def demo_fingerprint():
    """What a demo with history holds, by natural keys (ids and timestamps differ between builds)."""
    from referrals.models import IntermediaryLink, Referral
    from segmentation.models import ClientSegment
    from service.models import ActivityRecipient, Prospect, Survey, Task, Ticket

    return {
        "clients": list(Client.objects.order_by("account_id").values_list("account_id", "name", "birthday",
                                                                           "account_manager__username")),
        "settlement": list(AccountSettlement.objects.order_by("trade_date", "client__account_id").values_list(
            "client__account_id", "trade_date", "equity", "withdrawal")[::97]),
        "segments": list(ClientSegment.objects.order_by("client__account_id").values_list(
            "client__account_id", "volume", "churn_score", "loyal", "lifetime_value")),
        "links": list(IntermediaryLink.objects.order_by("client__account_id", "valid_from").values_list(
            "client__account_id", "intermediary__code", "valid_from", "valid_to")),
        "referrals": sorted(Referral.objects.values_list("prospect_name", "status", "referred_on"), key=str),
        "tickets": sorted(Ticket.objects.values_list("subject", "status", "client__account_id", "deadline"), key=str),
        "tasks": sorted(Task.objects.values_list("kind", "client__account_id", "owner__username", "due_on",
                                                 "status"), key=str),
        "prospects": sorted(Prospect.objects.values_list("name", "grade", "owner__username"), key=str),
        "surveys": sorted(Survey.objects.values_list("client__account_id", "answered_on", "satisfaction"), key=str),
        "recipients": sorted(ActivityRecipient.objects.values_list("activity__title", "client__account_id",
                                                                   "status"), key=str),
    }


def test_same_seed_same_demo_with_history_and_nights():
    def build():
        with transaction.atomic():
            call_command("demo_data", "--clients", "30", "--seed", "11", "--today", TODAY.isoformat(),
                         "--days", "22", stdout=io.StringIO())
            found = demo_fingerprint()
            transaction.set_rollback(True)  # the second build starts from the same empty database
        return found

    first = build()
    assert first["segments"] and first["tickets"] and first["referrals"] and first["tasks"]
    assert build() == first
