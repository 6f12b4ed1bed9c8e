"""API writes go through the same services as the pages (audited, validated)."""

import pytest

from futures_crm.models import AuditEntry
from referrals.models import Intermediary, IntermediaryLink, Referral

pytestmark = pytest.mark.django_db


def test_referral_create_and_advance_through_api(api, staff, book):
    rest = api(staff["am1"])
    resp = rest.post("/api/referrals/", {"referrer_client": book["zhang"].account_id, "prospect_name": "陈六",
                                         "referred_on": "2026-11-02"}, format="json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    resp = rest.post(f"/api/referrals/{pk}/advance/", {"status": "funded", "on": "2026-11-09",
                                                       "referred_client": book["zhao"].account_id}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "funded"
    assert resp.json()["contacted_on"] == "2026-11-09"
    resp = rest.post(f"/api/referrals/{pk}/advance/", {"status": "contacted", "on": "2026-11-10"}, format="json")
    assert resp.status_code == 400
    # Without a referring client the caller is the referrer (a staff referral).
    resp = rest.post("/api/referrals/", {"prospect_name": "周八", "referred_on": "2026-11-02"}, format="json")
    assert resp.status_code == 201 and resp.json()["referrer_staff"] == "AM001"
    assert Referral.objects.count() == 2


def test_intermediary_registry_links_and_compliance_through_api(api, staff, book):
    rest = api(staff["compliance"])
    resp = rest.post("/api/intermediaries/", {"code": "IB001", "name": "周居间", "rebate_rate": "0.4000",
                                              "contract_end": "2026-12-01"}, format="json")
    assert resp.status_code == 201
    ib = Intermediary.objects.get(code="IB001")
    assert rest.post(f"/api/intermediaries/{ib.pk}/trainings/", {"trained_on": "2026-06-01", "hours": "4",
                                                                 "topic": "合规"}, format="json").status_code == 201
    assert rest.post(f"/api/intermediaries/{ib.pk}/relatives/", {
        "name": "周妻", "relation": "配偶", "id_number": book["zhang"].id_number}, format="json").status_code == 201
    resp = rest.post("/api/intermediary-links/", {"client": book["zhang"].account_id, "intermediary": "IB001",
                                                  "valid_from": "2026-01-01", "reason": "开户登记"}, format="json")
    assert resp.status_code == 201, resp.content
    assert IntermediaryLink.objects.filter(client=book["zhang"], valid_to__isnull=True).exists()
    flags = rest.get(f"/api/intermediaries/{ib.pk}/compliance/").json()
    assert flags["relative_clients"] == [book["zhang"].account_id]
    assert flags["training_missing"] is False
    # Relatives' ID numbers never come back whole.
    rel = rest.get(f"/api/intermediaries/{ib.pk}/relatives/").json()[0]
    assert "id_number" not in rel and rel["id_last4"] == book["zhang"].id_number[-4:]
    assert AuditEntry.objects.filter(action__startswith="intermediary.").count() == 4
    # The back office reads, but cannot write.
    bo = api(staff["backoffice"])
    assert bo.get("/api/intermediary-links/").json()["count"] == 1
    assert bo.post("/api/intermediary-links/", {}, format="json").status_code == 403


def test_intermediary_edit_page_audits_changes(client, staff):
    client.force_login(staff["compliance"])
    resp = client.post("/relationships/intermediaries/new/", {
        "code": "IB007", "name": "新居间", "kind": "person", "status": "active", "rebate_rate": "0.3500",
        "exclusive": "on"})
    assert resp.status_code == 302, resp.content
    ib = Intermediary.objects.get(code="IB007")
    client.post(f"/relationships/intermediaries/{ib.pk}/edit/", {
        "code": "IB007", "name": "新居间", "kind": "person", "status": "suspended", "rebate_rate": "0.3000"})
    ib.refresh_from_db()
    assert ib.status == "suspended" and str(ib.rebate_rate) == "0.3000"
    entry = AuditEntry.objects.filter(action="intermediary.update").get()
    assert entry.before["status"] == "active" and entry.after["rebate_rate"] == "0.3000"


def test_orphans_and_workload_endpoints(api, staff, book):
    from clients.models import StaffProfile

    StaffProfile.objects.filter(user=staff["am2"]).update(is_active=False)
    rows = api(staff["bm_sh"]).get("/api/orphaned-clients/").json()
    assert [r["account_id"] for r in rows] == [book["li"].account_id]
    assert api(staff["bm_bj"]).get("/api/orphaned-clients/").json() == []
    workload = api(staff["head"]).get("/api/manager-workload/").json()
    assert {r["employee_code"]: r["clients"] for r in workload} == {"AM001": 2}


def test_leaving_is_not_an_edit_choice(client, staff):
    ib = Intermediary.objects.create(code="IB001", name="周居间")
    client.force_login(staff["compliance"])
    page = client.get(f"/relationships/intermediaries/{ib.pk}/edit/").content.decode()
    assert 'value="suspended"' in page and 'value="left"' not in page


def test_handover_through_api_preview_then_confirm(api, staff, book):
    from clients.models import Client, StaffProfile

    rest = api(staff["bm_sh"])
    body = {"leaving_manager": "AM001", "successors": ["AM002"], "strategy": "count"}
    preview = rest.post("/api/handovers/", body, format="json")
    assert preview.status_code == 200
    assert preview.json() == {"AM002": sorted([book["zhang"].account_id, book["zhao"].account_id])}
    assert Client.objects.filter(account_manager=staff["am1"]).count() == 2  # a preview changes nothing
    done = rest.post("/api/handovers/", {**body, "confirm": True, "reason": "离职"}, format="json")
    assert done.status_code == 201 and done.json()["client_count"] == 2
    assert not StaffProfile.objects.get(user=staff["am1"]).is_active
    assert rest.get("/api/handovers/").json()["count"] == 1
    # Another branch's manager cannot hand over Shanghai's managers (400 naming the field, as the page's form
    # error); account managers cannot hand over at all.
    refused = api(staff["bm_bj"]).post("/api/handovers/", {**body, "leaving_manager": "AM002", "successors": []},
                                       format="json")
    assert refused.status_code == 400 and "leaving_manager" in refused.json()
    assert api(staff["am2"]).post("/api/handovers/", body, format="json").status_code == 403


def test_statement_draft_confirm_and_rewards_through_api(api, staff, book):
    import datetime

    from .conftest import settle

    ib = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate="0.5000")
    IntermediaryLink.objects.create(client=book["zhang"], intermediary=ib, valid_from=datetime.date(2026, 1, 1))
    settle(book["zhang"], datetime.date(2026, 11, 3), commission="10.01", exchange_fee="3.00")
    rest = api(staff["compliance"])
    resp = rest.post("/api/rebate-statements/draft/", {"intermediary": "IB001", "month": "2026-11-15"},
                     format="json")
    assert resp.status_code == 201 and resp.json()["total"] == "3.51"
    assert resp.json()["lines"][0]["net_commission"] == "7.01"
    assert rest.post(f"/api/rebate-statements/{resp.json()['id']}/confirm/").json()["status"] == "confirmed"
    assert api(staff["head"]).post("/api/rebate-statements/draft/", {}, format="json").status_code == 403
    referral = Referral.objects.create(referrer_client=book["zhang"], prospect_name="陈六",
                                       referred_on=datetime.date(2026, 11, 2))
    url = f"/api/referrals/{referral.pk}/rewards/"
    assert api(staff["am1"]).post(url, {"what": "礼品", "given_on": "2026-11-20"}, format="json").status_code == 403
    resp = api(staff["bm_sh"]).post(url, {"what": "礼品", "given_on": "2026-11-20", "amount": "200.00"},
                                    format="json")
    assert resp.status_code == 201 and resp.json()["approved_by"] == "bm_sh"
    assert len(api(staff["am1"]).get(url).json()) == 1


def test_intermediary_leave_and_key_clients_through_api(api, staff, book):
    import datetime

    from clients.models import Client

    ib = Intermediary.objects.create(code="IB001", name="周居间")
    Intermediary.objects.create(code="IB002", name="吴居间")
    for key in ("zhang", "wang"):
        IntermediaryLink.objects.create(client=book[key], intermediary=ib, valid_from=datetime.date(2026, 1, 1))
    rest = api(staff["compliance"])
    bad = rest.post(f"/api/intermediaries/{ib.pk}/leave/", {"left_on": "2026-11-24", "reason": "合同终止",
                                                            "transfers": {book["wang"].account_id: "manager:NOPE"}},
                    format="json")
    assert bad.status_code == 400
    ib.refresh_from_db()
    assert ib.status == "active"
    resp = rest.post(f"/api/intermediaries/{ib.pk}/leave/", {
        "left_on": "2026-11-24", "reason": "合同终止",
        "transfers": {book["wang"].account_id: "intermediary:IB002", book["zhang"].account_id: "manager:AM002"}},
        format="json")
    assert resp.status_code == 200 and resp.json() == {"manager": 1, "intermediary": 1}
    assert Client.objects.get(pk=book["zhang"].pk).account_manager == staff["am2"]
    Client.objects.filter(pk=book["wang"].pk).update(is_key=True)
    rows = api(staff["bm_bj"]).get("/api/unmanaged-key-clients/").json()
    assert [r["account_id"] for r in rows] == [book["wang"].account_id]
    assert api(staff["am1"]).get("/api/unmanaged-key-clients/").status_code == 403
