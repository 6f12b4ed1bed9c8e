"""Row-level access on the client pages, CSV export, search and API, role by role."""

import pytest

from futures_crm.models import AuditEntry
from tests.permission_suite import Surface, pages_forbidden_failures, visibility_failures

pytestmark = pytest.mark.django_db

CLIENTS = Surface(
    marker=lambda c: c.account_id,
    page_list="/clients/",
    page_detail=lambda c: f"/clients/{c.pk}/",
    export="/clients/?export=csv",
    api_list="/api/clients/",
    api_detail=lambda c: f"/api/clients/{c.pk}/",
    search_term=lambda c: c.name,
)

ALL = {"zhang", "zhao", "li", "wang"}
# Who sees which clients of the `book` fixture (two of am1's and one of am2's in Shanghai, one in Beijing).
EXPECTED = {
    "admin": ALL, "head": ALL, "compliance": ALL, "marketing": ALL, "agent": ALL,
    "bm_sh": {"zhang", "zhao", "li"}, "bm_bj": {"wang"},
    "am1": {"zhang", "zhao"}, "am2": {"li"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_exactly_its_clients_on_pages_export_search_and_api(staff, book, who):
    visible = [book[k] for k in sorted(EXPECTED[who])]
    hidden = [book[k] for k in sorted(ALL - EXPECTED[who])]
    assert visibility_failures(staff[who], CLIENTS, visible=visible, hidden=hidden) == []


def test_back_office_uses_the_api_only(staff, book):
    user = staff["backoffice"]
    assert pages_forbidden_failures(user, ["/clients/", f"/clients/{book['zhang'].pk}/", "/clients/new/",
                                           "/clients/?export=csv", f"/clients/{book['zhang'].pk}/history/",
                                           f"/clients/{book['zhang'].pk}/statement/"]) == []
    assert visibility_failures(user, CLIENTS, visible=list(book.values()), hidden=[], pages=False) == []


def test_a_user_without_a_role_sees_nothing(db, client, django_user_model, book):
    nobody = django_user_model.objects.create_user("nobody", password="x-pass-123")
    client.force_login(nobody)
    assert client.get("/clients/").status_code == 403
    assert client.get("/api/clients/").status_code == 403


def test_anonymous_is_sent_to_login(client, book):
    response = client.get("/clients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/clients/").status_code in (401, 403)


def test_account_manager_cannot_edit_or_log_on_a_colleagues_client(client, staff, book):
    client.force_login(staff["am1"])
    other = book["li"]
    assert client.get(f"/clients/{other.pk}/edit/").status_code == 404
    assert client.post(f"/clients/{other.pk}/contacts/", {"channel": "phone", "summary": "x",
                                                            "contacted_at": "2025-01-02T10:00"}).status_code == 404
    assert client.post(f"/clients/{other.pk}/reveal-id/").status_code == 404
    assert not other.contact_logs.exists()


def test_service_agent_only_adds_contact_logs(client, api, staff, book):
    agent, target = staff["agent"], book["wang"]
    client.force_login(agent)
    assert client.get(f"/clients/{target.pk}/edit/").status_code == 403
    assert client.get("/clients/new/").status_code == 403
    assert client.post(f"/clients/{target.pk}/suitability/", {}).status_code == 403
    assert api(agent).patch(f"/api/clients/{target.pk}/", {"name": "改名"}, format="json").status_code == 403
    response = client.post(f"/clients/{target.pk}/contacts/", {
        "channel": "phone", "summary": "客户来电询问保证金", "contacted_at": "2025-01-02T10:00"})
    assert response.status_code == 302
    assert target.contact_logs.get().by == agent
    created = api(agent).post(f"/api/clients/{target.pk}/contacts/", {"channel": "wechat", "summary": "微信回复"},
                              format="json")
    assert created.status_code == 201
    page = client.get(f"/clients/{target.pk}/").content.decode()
    assert "客户来电询问保证金" in page and "微信回复" in page
    assert f'href="/clients/{target.pk}/edit/"' not in page


def test_marketing_reads_but_does_not_log_contacts(client, api, staff, book):
    client.force_login(staff["marketing"])
    target = book["zhang"]
    assert client.get(f"/clients/{target.pk}/").status_code == 200
    assert client.post(f"/clients/{target.pk}/contacts/", {"channel": "phone", "summary": "x"}).status_code == 403
    assert api(staff["marketing"]).post(f"/api/clients/{target.pk}/contacts/", {"channel": "sms", "summary": "x"},
                                        format="json").status_code == 403


@pytest.mark.parametrize("who,allowed", [("admin", True), ("compliance", True), ("head", False), ("bm_sh", False),
                                         ("am1", False), ("agent", False)])
def test_audit_trail_tab_only_for_compliance_and_admins(client, staff, book, who, allowed):
    target = book["zhang"]
    AuditEntry.objects.create(actor=staff["admin"], action="client.update", object_type="clients.client",
                              object_id=str(target.pk), client=target, before={"city": "北京"},
                              after={"city": "上海"}, reason="搬家")
    client.force_login(staff[who])
    page = client.get(f"/clients/{target.pk}/?tab=audit").content.decode()
    assert ("client.update" in page and "搬家" in page) is allowed
    assert (f'href="/clients/{target.pk}/?tab=audit"' in page) is allowed


def test_refusals_are_pages_in_the_users_language(client, staff, book, settings):
    settings.DEBUG = False
    client.force_login(staff["backoffice"])
    refused = client.get("/clients/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403 and "无权访问" in refused.content.decode()
    client.force_login(staff["am2"])
    missing = client.get(f"/clients/{book['zhang'].pk}/")
    assert missing.status_code == 404 and "nothing you may see" in missing.content.decode()


# The trading history and the statement of a client: wherever the client is seen, and nowhere else.
HISTORY = Surface(marker=lambda c: c.account_id, page_detail=lambda c: f"/clients/{c.pk}/history/",
                  api_detail=lambda c: f"/api/clients/{c.pk}/settlement/")
STATEMENT = Surface(marker=lambda c: c.account_id, page_detail=lambda c: f"/clients/{c.pk}/statement/",
                    api_detail=lambda c: f"/api/clients/{c.pk}/statement/?month=2025-03")


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_the_history_and_statement_of_exactly_its_clients(staff, book, who):
    visible = [book[k] for k in sorted(EXPECTED[who])]
    hidden = [book[k] for k in sorted(ALL - EXPECTED[who])]
    assert visibility_failures(staff[who], HISTORY, visible=visible, hidden=hidden) == []
    assert visibility_failures(staff[who], STATEMENT, visible=visible, hidden=hidden) == []
