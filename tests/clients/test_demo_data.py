"""`manage.py demo_data`: a realistic brokerage, the same for the same seed."""

import datetime
import io

import pytest
from django.core.management import call_command

from clients.demo import DEMO_PASSWORD
from clients.identity import id_card_valid, uscc_valid
from clients.models import Branch, Client, ContactLog, StaffProfile, SuitabilityAssessment
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
