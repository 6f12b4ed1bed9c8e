"""The admin holds configuration data: branches, staff with their profiles, the read-only audit trail."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_pages_for_configuration_data(client, django_user_model, staff, book):
    root = django_user_model.objects.create_superuser("root", password="x-pass-123")
    client.force_login(root)
    for url in ("/admin/", "/admin/clients/branch/", "/admin/clients/staffprofile/", "/admin/auth/user/",
                f"/admin/auth/user/{staff['am1'].pk}/change/", "/admin/futures_crm/auditentry/",
                "/admin/auth/group/"):
        assert client.get(url).status_code == 200, url
    users = client.get("/admin/auth/user/").content.decode()
    assert "王经理" in users
    assert client.get("/admin/futures_crm/auditentry/add/").status_code == 403


def test_staff_without_admin_rights_do_not_get_in(client, staff):
    client.force_login(staff["bm_sh"])
    assert client.get("/admin/").status_code == 302
