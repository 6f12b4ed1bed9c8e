"""The quarantine and settlement-alert API: the same services and row-level rules as the pages."""

import datetime

import pytest
from django.urls import reverse

from clients.imports.services import import_run
from clients.models import AccountSettlement, ImportBatch, QuarantinedRow, SettlementAlert
from futures_crm.models import AuditEntry
from tests.permission_suite import Surface, visibility_failures
from tests.test_access_api import EXPECTED

from .conftest import account_row

pytestmark = pytest.mark.django_db

NOT_IMPORTERS = ["am1", "am2", "bm_sh", "agent", "marketing", "compliance"]


# --- quarantine ---------------------------------------------------------------------------------
@pytest.fixture
def partial(write_csv):
    """A partial import: line 2 written, line 3 (impossible date) and line 4 (bad commission) quarantined."""
    rows = [account_row(account_id="1"), account_row(account_id="2", trade_date="2025-13-01"),
            account_row(account_id="3", commission="abc")]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows), partial=True)
    assert (batch.status, batch.rows_written, batch.rows_rejected) == ("partial", 1, 2)
    return batch


def _row(batch, line) -> QuarantinedRow:
    return QuarantinedRow.objects.get(batch=batch, line=line)


def test_quarantine_lists_the_rows_of_a_partial_import_with_their_reasons(api, staff, partial, write_csv):
    other = import_run(kind="accounts", path=write_csv("accounts", [account_row(account_id="9", margin="-1.00")]))
    rest = api(staff["head"])
    listed = rest.get("/api/quarantine/", {"batch": partial.pk}).json()
    assert listed["count"] == 2
    first, second = listed["results"]
    assert (first["batch"], first["kind"], first["line"], first["status"], first["fixed_batch"]) == (
        partial.pk, "accounts", 3, "open", None)
    assert first["raw"]["account_id"] == "2" and first["raw"]["trade_date"] == "2025-13-01"
    assert first["errors"] == [{"line": 3, "column": "trade_date", "reason": first["errors"][0]["reason"],
                                "reason_code": "row.not_real_date", "reason_params": {"v": "2025-13-01"}}]
    assert "is not a real calendar date" in first["errors"][0]["reason"]
    assert second["errors"] == [{"line": 4, "column": "commission", "reason": "“abc” is not a decimal amount",
                                 "reason_code": "row.not_decimal", "reason_params": {"v": "abc"}}]
    # The rejected file's row is there too, under its own status.
    assert [r["batch"] for r in rest.get("/api/quarantine/").json()["results"]] == [other.pk, partial.pk, partial.pk]
    rejected = rest.get("/api/quarantine/", {"status": "rejected_file"}).json()["results"]
    assert [(r["batch"], r["line"]) for r in rejected] == [(other.pk, 2)]
    assert rest.get("/api/quarantine/", {"status": "open"}).json()["count"] == 2
    assert rest.get("/api/quarantine/", {"status": "fixed"}).json()["count"] == 0
    assert rest.get("/api/quarantine/", {"kind": "contracts"}).json()["count"] == 0
    detail = rest.get(f"/api/quarantine/{_row(partial, 4).pk}/").json()
    assert detail["raw"]["commission"] == "abc"


def test_quarantine_bad_filters_are_a_400(api, staff, partial):
    rest = api(staff["admin"])
    for params in ({"status": "nope"}, {"batch": "x"}, {"batch": "1.5"}, {"kind": "futures"}):
        assert rest.get("/api/quarantine/", params).status_code == 400, params
    assert rest.get("/api/quarantine/", {"batch": 10**12}).json()["count"] == 0


def test_rerun_a_corrected_row_imports_it_and_fixes_the_row(api, staff, partial):
    row = _row(partial, 3)
    corrected = {**row.raw, "trade_date": "2025-01-02"}
    response = api(staff["backoffice"]).post(f"/api/quarantine/{row.pk}/rerun/", {"raw": corrected}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    new_batch = ImportBatch.objects.get(pk=body["batch"]["id"])
    assert (body["batch"]["status"], body["batch"]["source"], body["batch"]["rows_written"]) == (
        "imported", "quarantine", 1)
    assert body["batch"]["report"]["message"] == "Imported."
    assert (body["row"]["id"], body["row"]["status"], body["row"]["fixed_batch"]) == (row.pk, "fixed", new_batch.pk)
    assert body["row"]["raw"]["trade_date"] == "2025-01-02"
    row.refresh_from_db()
    assert (row.status, row.fixed_batch, row.raw) == ("fixed", new_batch, corrected)
    assert new_batch.created_by == staff["backoffice"]
    assert AccountSettlement.objects.filter(client__account_id="2", trade_date=datetime.date(2025, 1, 2)).exists()
    assert api(staff["head"]).get("/api/quarantine/", {"batch": partial.pk, "status": "open"}).json()["count"] == 1


def test_rerun_still_bad_keeps_the_row_open_with_the_new_reasons(api, staff, partial):
    row = _row(partial, 4)
    rest = api(staff["head"])
    response = rest.post(f"/api/quarantine/{row.pk}/rerun/", {"raw": {**row.raw, "commission": "30.00",
                                                                       "margin": "-5.00"}}, format="json")
    assert response.status_code == 422
    body = response.json()
    # The row keeps its line in the file; the new one-row batch reports it as its line 1.
    negative = {"reason": "“-5.00” must not be negative", "reason_code": "row.negative",
                "reason_params": {"v": "-5.00"}}
    assert body["row"]["errors"] == [{"line": 4, "column": "margin", **negative}]
    assert body["row"]["status"] == "open"
    assert body["batch"]["status"] == "rejected"
    assert body["batch"]["report"]["errors"] == [{"line": 1, "column": "margin", **negative}]
    row.refresh_from_db()
    assert (row.status, row.raw["margin"], row.errors[0]["column"]) == ("open", "-5.00", "margin")
    assert not AccountSettlement.objects.filter(client__account_id="3").exists()


def test_rerun_with_a_row_missing_its_columns_is_a_422_with_the_reason(api, staff, partial):
    row = _row(partial, 4)
    response = api(staff["head"]).post(f"/api/quarantine/{row.pk}/rerun/", {"raw": {"account_id": "3"}},
                                       format="json")
    assert response.status_code == 422
    errors = response.json()["row"]["errors"]
    assert len(errors) == 1 and errors[0]["line"] == 4 and errors[0]["reason"]
    assert QuarantinedRow.objects.get(pk=row.pk).status == "open"


@pytest.mark.parametrize("body", [{}, {"raw": {}}, {"raw": "trade_date=2025-01-02"}, {"raw": ["a"]},
                                  {"raw": {"margin": {"nested": 1}}}])
def test_rerun_with_a_malformed_body_is_a_400(api, staff, partial, body):
    row = _row(partial, 4)
    assert api(staff["head"]).post(f"/api/quarantine/{row.pk}/rerun/", body, format="json").status_code == 400
    assert QuarantinedRow.objects.get(pk=row.pk).status == "open"
    assert ImportBatch.objects.count() == 1


def test_discard_and_a_row_no_longer_open_refuses_rerun_and_discard(api, staff, partial):
    row = _row(partial, 4)
    rest = api(staff["admin"])
    response = rest.post(f"/api/quarantine/{row.pk}/discard/")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (row.pk, "discarded")
    assert QuarantinedRow.objects.get(pk=row.pk).status == "discarded"
    again = rest.post(f"/api/quarantine/{row.pk}/discard/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This row is not open any more."]}
    rerun = rest.post(f"/api/quarantine/{row.pk}/rerun/", {"raw": {**row.raw, "commission": "30.00"}},
                      format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert rerun.status_code == 400 and rerun.json()["non_field_errors"][0] != "This row is not open any more."
    assert QuarantinedRow.objects.get(pk=row.pk).status == "discarded"
    assert ImportBatch.objects.count() == 1
    assert rest.post("/api/quarantine/999999/discard/").status_code == 404


@pytest.mark.parametrize("who", NOT_IMPORTERS)
def test_quarantine_refused_to_roles_that_may_not_import(api, staff, partial, who):
    row = _row(partial, 4)
    rest = api(staff[who])
    assert rest.get("/api/quarantine/").status_code == 403
    assert rest.get(f"/api/quarantine/{row.pk}/").status_code == 403
    assert rest.post(f"/api/quarantine/{row.pk}/rerun/", {"raw": {**row.raw, "commission": "30.00"}},
                     format="json").status_code == 403
    assert rest.post(f"/api/quarantine/{row.pk}/discard/").status_code == 403
    row.refresh_from_db()
    assert row.status == "open" and ImportBatch.objects.count() == 1


def test_quarantine_anonymous_refused(client, partial):
    assert client.get("/api/quarantine/").status_code in (401, 403)
    assert client.get("/api/alerts/").status_code in (401, 403)


# --- settlement alerts --------------------------------------------------------------------------
def _negative(account_id, trade_date="2025-01-02", margin_call="0.00"):
    """An account row whose equity ends at -400.00 (穿仓); a margin call when asked."""
    return account_row(account_id=account_id, trade_date=trade_date, pre="100.00", close_profit="-500.00",
                       position_profit="0.00", commission="0.00", exchange_fee="0.00", margin="0.00",
                       margin_call=margin_call)


@pytest.fixture
def one_alert_each(book, write_csv):
    """One negative-equity alert per client of the book, on 2025-01-02."""
    import_run(kind="accounts", path=write_csv("accounts", [_negative(c.account_id) for c in book.values()]))
    return {key: SettlementAlert.objects.get(client=client) for key, client in book.items()}


# As for the clients themselves: each role sees its book's alerts (marketing too, which that test omits).
VISIBLE = {**EXPECTED, "marketing": EXPECTED["admin"]}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_alerts_api_and_page_show_each_role_only_its_clients_alerts(staff, one_alert_each, who):
    surface = Surface(marker=lambda a: a.client.account_id, page_list=reverse("clients:alert_list"),
                      api_list="/api/alerts/", api_detail=lambda a: f"/api/alerts/{a.pk}/")
    visible = [a for key, a in one_alert_each.items() if key in VISIBLE[who]]
    hidden = [a for key, a in one_alert_each.items() if key not in VISIBLE[who]]
    assert visibility_failures(staff[who], surface, visible=visible, hidden=hidden,
                               pages=who != "backoffice") == []


def test_alert_shows_client_day_kind_amount_batch_and_state(api, staff, book, one_alert_each):
    alert = one_alert_each["zhang"]
    data = api(staff["am1"]).get(f"/api/alerts/{alert.pk}/").json()
    assert data == {
        "id": alert.pk, "trade_date": "2025-01-02", "kind": "negative_equity", "amount": "-400.00",
        "client": {"id": book["zhang"].pk, "account_id": book["zhang"].account_id, "name": "张三"},
        "batch": alert.batch_id, "created_at": data["created_at"], "acknowledged": False, "acknowledged_at": None,
        "acknowledged_by": None,
    }


def test_acknowledge_through_the_api_uses_the_pages_service(api, staff, book, one_alert_each):
    alert = one_alert_each["zhang"]
    response = api(staff["am1"]).post(f"/api/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200
    body = response.json()
    assert (body["acknowledged"], body["acknowledged_by"]) == (True, "am1") and body["acknowledged_at"]
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff["am1"] and alert.acknowledged_at is not None
    entry = AuditEntry.objects.get(action="settlement_alert.acknowledge")
    assert (entry.actor, entry.client, entry.object_id) == (staff["am1"], book["zhang"], str(alert.pk))
    # A second acknowledgement (the branch manager's) keeps the first one, and writes no second entry.
    again = api(staff["bm_sh"]).post(f"/api/alerts/{alert.pk}/acknowledge/").json()
    assert (again["acknowledged_by"], again["acknowledged_at"]) == ("am1", body["acknowledged_at"])
    assert AuditEntry.objects.filter(action="settlement_alert.acknowledge").count() == 1
    # The page's open list no longer has it; the API's acknowledged filter does.
    from django.test import Client as PageClient

    page = PageClient()
    page.force_login(staff["am1"])
    assert book["zhang"].account_id not in page.get(reverse("clients:alert_list")).content.decode()
    assert book["zhang"].account_id in page.get(reverse("clients:alert_list"), {"all": "1"}).content.decode()


def test_acknowledging_an_alert_you_may_not_see_is_a_404(api, staff, one_alert_each):
    other = one_alert_each["li"]
    assert api(staff["am1"]).post(f"/api/alerts/{other.pk}/acknowledge/").status_code == 404
    assert api(staff["bm_bj"]).post(f"/api/alerts/{other.pk}/acknowledge/").status_code == 404
    other.refresh_from_db()
    assert other.acknowledged_at is None


def test_the_back_office_system_reads_alerts_but_does_not_acknowledge_them(api, staff, one_alert_each):
    rest = api(staff["backoffice"])
    assert rest.get("/api/alerts/").json()["count"] == 4
    assert rest.post(f"/api/alerts/{one_alert_each['zhang'].pk}/acknowledge/").status_code == 403


def test_alert_filters(api, staff, book, write_csv):
    zhang, li = book["zhang"], book["li"]
    first = import_run(kind="accounts", path=write_csv("accounts", [
        _negative(zhang.account_id, margin_call="401.00"), _negative(li.account_id)]))
    second = import_run(kind="accounts", path=write_csv("accounts", [
        _negative(zhang.account_id, trade_date="2025-01-03")]))
    acked = SettlementAlert.objects.get(client=li)
    api(staff["head"]).post(f"/api/alerts/{acked.pk}/acknowledge/")
    rest = api(staff["bm_sh"])

    def listed(**params):
        response = rest.get("/api/alerts/", params)
        assert response.status_code == 200, response.json()
        return {(r["client"]["account_id"], r["trade_date"], r["kind"]) for r in response.json()["results"]}

    z, n = zhang.account_id, li.account_id
    assert listed() == {(n, "2025-01-02", "negative_equity"), (z, "2025-01-02", "margin_call"),
                        (z, "2025-01-02", "negative_equity"), (z, "2025-01-03", "negative_equity")}
    assert listed(kind="margin_call") == {(z, "2025-01-02", "margin_call")}
    assert listed(acknowledged="true") == {(n, "2025-01-02", "negative_equity")}
    assert listed(acknowledged="false") == {(z, "2025-01-02", "margin_call"), (z, "2025-01-02", "negative_equity"),
                                            (z, "2025-01-03", "negative_equity")}
    assert listed(trade_date_from="2025-01-03") == {(z, "2025-01-03", "negative_equity")}
    assert listed(trade_date_to="2025-01-02", kind="negative_equity") == {
        (n, "2025-01-02", "negative_equity"), (z, "2025-01-02", "negative_equity")}
    assert listed(client=li.pk) == {(n, "2025-01-02", "negative_equity")}
    assert listed(account_id=z, trade_date_from="2025-01-02", trade_date_to="2025-01-02") == {
        (z, "2025-01-02", "margin_call"), (z, "2025-01-02", "negative_equity")}
    assert listed(batch=second.pk) == {(z, "2025-01-03", "negative_equity")}
    assert len(listed(batch=first.pk)) == 3
    # A client outside the caller's scope matches nothing (not an error that confirms it exists).
    assert listed(client=book["wang"].pk) == set() and listed(account_id=book["wang"].account_id) == set()
    newest = rest.get("/api/alerts/").json()["results"][0]
    assert newest["trade_date"] == "2025-01-03"


def test_alert_bad_filters_are_a_400(api, staff, one_alert_each):
    rest = api(staff["head"])
    for params in ({"kind": "liquidation"}, {"trade_date_from": "2025-13-01"}, {"client": "zhang"}):
        assert rest.get("/api/alerts/", params).status_code == 400, params


def test_list_endpoints_have_a_fixed_query_count(api, staff, book, write_csv, django_assert_max_num_queries):
    rows = [_negative(c.account_id, trade_date=f"2025-01-0{d}", margin_call="10.00")
            for c in book.values() for d in (2, 3)]
    import_run(kind="accounts", path=write_csv("accounts", rows))
    bad = [account_row(account_id=str(n), commission="x") for n in range(6)]
    import_run(kind="accounts", path=write_csv("accounts", [account_row(account_id="1"), *bad]), partial=True)
    for alert in SettlementAlert.objects.all()[:5]:
        alert.acknowledged_by, alert.acknowledged_at = staff["head"], alert.created_at
        alert.save()
    rest = api(staff["admin"])
    for url, count in (("/api/alerts/", 16), ("/api/quarantine/", 6)):
        rest.get(url)  # warm the auth/session caches
        with django_assert_max_num_queries(4):
            response = rest.get(url)
        assert response.json()["count"] == count
