"""ID numbers are masked everywhere; revealing one needs a permission and is audited."""

import pytest

from clients.identity import mask_id_number
from futures_crm.models import AuditEntry

pytestmark = pytest.mark.django_db

EVERY_PAGE_ROLE = ["admin", "head", "compliance", "marketing", "agent", "bm_sh", "am1"]


def _text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_mask_keeps_region_and_last_four():
    assert mask_id_number("110101198001011234") == "110101********1234"
    assert mask_id_number("") == ""


@pytest.mark.parametrize("number, masked", [("E12345678", "******678"), ("H1234567", "*****567"),
                                            ("91310000MA1FL8XQ3K", "913100********XQ3K"), ("AB12", "***2")])
def test_passports_and_other_short_numbers_are_masked_too(number, masked):
    assert mask_id_number(number) == masked
    assert number not in mask_id_number(number)


def test_the_service_desk_finds_a_caller_by_the_whole_number_only(api, staff, book):
    """Fragments would let a masked digit be rebuilt one search at a time."""
    desk = api(staff["agent"])

    def found(text):
        return [c["id"] for c in desk.get("/api/clients/", {"q": text}).json()["results"]]

    zhang = book["zhang"].pk
    assert found("13800001111") == [zhang] and found("+86 138-0000-1111") == [zhang]
    assert found("1380000111") == [] and found("38000011") == [] and found("0000") == []
    assert zhang in [c["id"] for c in api(staff["am1"]).get("/api/clients/", {"q": "0000111"}).json()["results"]]


@pytest.mark.parametrize("who", EVERY_PAGE_ROLE)
def test_full_id_number_is_never_in_a_list_page_export_or_api_response(client, api, staff, book, who):
    zhang = book["zhang"]
    client.force_login(staff[who])
    responses = [client.get("/clients/"), client.get("/clients/?export=csv"), client.get(f"/clients/{zhang.pk}/"),
                 api(staff[who]).get("/api/clients/"), api(staff[who]).get(f"/api/clients/{zhang.pk}/")]
    bodies = [_text(r) for r in responses]
    for body in bodies:
        assert zhang.id_number not in body
    assert mask_id_number(zhang.id_number) in bodies[1]  # the export
    assert mask_id_number(zhang.id_number) in bodies[2]  # the client page


def test_id_number_is_masked_in_the_audit_trail_too(staff, book):
    from clients.identity import id_card_with_check
    from clients.services import client_update

    number = id_card_with_check("11010119900307663")
    client_update(client=book["zhang"], by=staff["admin"], id_number=number)
    entry = AuditEntry.objects.get(action="client.update")
    assert entry.after["id_number"] == "110101********" + number[-4:]
    assert number not in str(entry.before) + str(entry.after)
    assert book["zhang"].id_number not in str(entry.before)


@pytest.mark.parametrize("who", ["compliance", "admin", "head", "bm_sh"])
def test_reveal_shows_the_number_once_and_is_audited(client, staff, book, who):
    zhang = book["zhang"]
    client.force_login(staff[who])
    response = client.post(f"/clients/{zhang.pk}/reveal-id/")
    assert response.status_code == 200
    assert zhang.id_number in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="client.reveal_id")
    assert entry.actor == staff[who] and entry.client == zhang
    # The next view of the page is masked again.
    assert zhang.id_number not in client.get(f"/clients/{zhang.pk}/").content.decode()


@pytest.mark.parametrize("who", ["am1", "agent", "marketing"])
def test_reveal_without_the_permission_is_refused_and_not_shown(client, staff, book, who):
    zhang = book["zhang"]
    client.force_login(staff[who])
    assert client.post(f"/clients/{zhang.pk}/reveal-id/").status_code == 403
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "reveal-id" not in page
    assert not AuditEntry.objects.filter(action="client.reveal_id").exists()


def test_reveal_of_a_client_outside_the_scope_is_a_404(client, staff, book):
    client.force_login(staff["bm_bj"])
    assert client.post(f"/clients/{book['zhang'].pk}/reveal-id/").status_code == 404
    assert not AuditEntry.objects.exists()


def test_reveal_is_post_only(client, staff, book):
    client.force_login(staff["compliance"])
    assert client.get(f"/clients/{book['zhang'].pk}/reveal-id/").status_code == 405


def test_service_agent_sees_a_masked_contact_card(client, api, staff, book):
    zhang = book["zhang"]
    client.force_login(staff["agent"])
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "138****1111" in page and "13800001111" not in page
    assert "Personal data is masked" in page
    data = api(staff["agent"]).get(f"/api/clients/{zhang.pk}/").json()
    assert data["phone"] == "138****1111" and data["birthday"] is None
    listing = client.get("/clients/").content.decode()
    assert "13800001111" not in listing
    # Other roles see the phone to call the client.
    client.force_login(staff["am1"])
    assert "13800001111" in client.get(f"/clients/{zhang.pk}/").content.decode()
