"""Caller screen-pop: number normalisation, masking for the service desk, scoping, unknown callers."""

import datetime

import pytest

from segmentation.models import ClientSegment
from service import services
from tests.factories import ClientFactory

from .helpers import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller(staff, branches):
    client = ClientFactory(name="陈大文", branch=branches[0], account_manager=staff["am1"], phone="13912345678",
                           birthday=datetime.date(1975, 5, 5))
    ClientSegment.objects.create(client=client, as_of=datetime.date(2026, 11, 23), purpose="speculator",
                                 fund_size="medium", volume="dormant", tenure="old", churn_score=72,
                                 churn_signals=["falling_volume"])
    settle(client, datetime.date.today() - datetime.timedelta(days=1), pre_balance=50000, margin_call=8000,
           equity=42000)
    for i in range(4):
        client.contact_logs.create(channel="phone", summary=f"call {i}",
                                   contacted_at=datetime.datetime(2026, 11, 1 + i, 10, tzinfo=datetime.UTC))
    services.ticket_open(by=staff["agent"], client=client, ticket_type="complaint", channel="phone",
                         subject="Order rejected")
    return client


@pytest.mark.parametrize("number", ["13912345678", "139 1234 5678", "+86 139-1234-5678", "0086 13912345678",
                                    "+8613912345678", "(139) 1234-5678"])
def test_numbers_are_normalised(api, staff, caller, number):
    data = api(staff["agent"]).get("/api/lookup/phone/", {"number": number}).json()
    assert data["number"] == "13912345678"
    assert [c["name"] for c in data["clients"]] == ["陈大文"]


def test_service_desk_card_is_masked_and_complete(api, staff, caller):
    card = api(staff["agent"]).get("/api/lookup/phone/", {"number": "13912345678"}).json()["clients"][0]
    assert card["phone"] == "139****5678"
    assert card["id_number"] == caller.id_number[:6] + "********" + caller.id_number[-4:]
    assert card["birthday"] is None
    assert card["manager"] == "王经理"
    assert card["segments"]["volume"] == "Dormant" and card["churn_score"] == 72
    assert [t["subject"] for t in card["open_tickets"]] == ["Order rejected"]
    assert [c["summary"] for c in card["last_contacts"]] == ["call 3", "call 2", "call 1"]
    assert [a["kind"] for a in card["alerts"]] == ["margin_call"]


def test_manager_sees_personal_data_and_others_see_nothing(api, staff, caller):
    card = api(staff["am1"]).get("/api/lookup/phone/", {"number": "13912345678"}).json()["clients"][0]
    assert card["phone"] == "13912345678" and card["birthday"] == "1975-05-05"
    assert api(staff["am2"]).get("/api/lookup/phone/", {"number": "13912345678"}).json()["clients"] == []


def test_unknown_number_offers_prospect_and_ticket(page, staff, db):
    html = page(staff["agent"]).get("/lookup/", {"phone": "+86 137 0000 9999"}).content.decode()
    assert "13700009999" in html
    assert "/service/prospects/new/?phone=13700009999" in html
    assert "/service/tickets/new/?phone=13700009999" in html


def test_known_prospect_is_shown_for_an_unknown_client(api, staff, db):
    services.prospect_create(by=staff["am1"], name="潜在客户", source="event", grade="B", phone="136-0000-1111")
    data = api(staff["agent"]).get("/api/lookup/phone/", {"number": "13600001111"}).json()
    assert data["clients"] == [] and [p["name"] for p in data["prospects"]] == ["潜在客户"]


def test_lookup_page_masks_for_the_desk(page, staff, caller):
    html = page(staff["agent"]).get("/service/lookup/", {"phone": "139 1234 5678"}).content.decode()
    assert "陈大文" in html and "139****5678" in html and "13912345678" not in html.replace("phone=13912345678", "")
    assert "1975" not in html


@pytest.mark.parametrize("typed", ["139-1234-5678", "+86 139 1234 5678", "(139) 1234 5678"])
def test_a_number_typed_with_spaces_or_dashes_on_the_client_form_still_pops_up(api, staff, branches, typed):
    """Stored numbers are normalised when a client is saved, so the caller's number matches by equality."""
    from clients.services import client_create

    client = client_create(by=staff["admin"], account_id="80000001", name="林小红", client_type="individual",
                           id_type="passport", id_number="E12345678", branch=branches[0], open_date="2024-01-02",
                           phone=typed, phone_alt="021-6888 1234")
    client.refresh_from_db()
    assert (client.phone, client.phone_alt) == ("13912345678", "02168881234")
    for number in ("13912345678", "+86 139-1234-5678"):
        data = api(staff["agent"]).get("/api/lookup/phone/", {"number": number}).json()
        assert [c["name"] for c in data["clients"]] == ["林小红"]
