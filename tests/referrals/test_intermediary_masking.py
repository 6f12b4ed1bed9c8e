"""An intermediary's ID number is masked on the page, the edit form, the API and the audit trail;
the full number only through an audited reveal, for the roles allowed to reveal a client's."""

import pytest

from futures_crm.models import AuditEntry

pytestmark = pytest.mark.django_db
NUMBER = "110101198001010002"


@pytest.fixture
def registered(intermediary):
    intermediary.id_number = NUMBER
    intermediary.save(update_fields=["id_number"])
    return intermediary


def test_the_number_is_masked_everywhere_it_is_read(client, api, staff, registered):
    client.force_login(staff["compliance"])
    page = client.get(f"/relationships/intermediaries/{registered.pk}/").content.decode()
    form = client.get(f"/relationships/intermediaries/{registered.pk}/edit/").content.decode()
    data = api(staff["compliance"]).get(f"/api/intermediaries/{registered.pk}/").json()
    listing = api(staff["compliance"]).get("/api/intermediaries/").content.decode()
    for body in (page, form, str(data), listing):
        assert NUMBER not in body
    assert "110101********0002" in page and data["id_number_masked"] == "110101********0002"
    assert "id_number" not in data


def test_compliance_reveals_it_on_the_page_and_through_the_api_and_both_are_audited(client, api, staff, registered):
    client.force_login(staff["compliance"])
    response = client.post(f"/relationships/intermediaries/{registered.pk}/reveal-id/")
    assert response.status_code == 200 and NUMBER in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    answer = api(staff["compliance"]).post(f"/api/intermediaries/{registered.pk}/reveal-id/")
    assert answer.status_code == 200 and answer.json() == {"id_number": NUMBER}
    assert AuditEntry.objects.filter(action="intermediary.reveal_id", actor=staff["compliance"]).count() == 2


@pytest.mark.parametrize("who", ["am1", "agent", "marketing"])
def test_roles_without_the_reveal_permission_are_refused_and_nothing_is_audited(client, api, staff, registered, who):
    assert api(staff[who]).post(f"/api/intermediaries/{registered.pk}/reveal-id/").status_code in {403, 404}
    client.force_login(staff[who])
    assert client.post(f"/relationships/intermediaries/{registered.pk}/reveal-id/").status_code in {403, 404}
    assert not AuditEntry.objects.filter(action="intermediary.reveal_id").exists()


def test_editing_with_a_blank_number_keeps_it_and_the_audit_trail_masks_a_change(api, staff, registered):
    caller = api(staff["compliance"])
    assert caller.patch(f"/api/intermediaries/{registered.pk}/", {"name": "周居间二", "id_number": ""},
                        format="json").status_code == 200
    registered.refresh_from_db()
    assert registered.id_number == NUMBER and registered.name == "周居间二"
    assert caller.patch(f"/api/intermediaries/{registered.pk}/", {"id_number": "E12345678"},
                        format="json").status_code == 200
    entry = AuditEntry.objects.filter(action="intermediary.update").order_by("-id").first()
    assert "E12345678" not in str(entry.after) and NUMBER not in str(entry.before)
