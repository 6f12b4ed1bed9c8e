"""The API, the pages and the drop folder: same validation, same writer, and who may use them."""

import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import AccountSettlement, ImportBatch, QuarantinedRow, SettlementAlert
from tests.factories import PASSWORD

from .conftest import account_row

pytestmark = pytest.mark.django_db


def upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- API ----------------------------------------------------------------------------------------
def test_api_back_office_posts_a_file_and_reads_batches(api, staff, write_csv):
    bo = api(staff["backoffice"])
    path = write_csv("accounts", [account_row(account_id="1"), account_row(account_id="2")])
    response = bo.post("/api/imports/", {"kind": "accounts", "file": upload(path)}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["rows_written"], body["file_name"], body["created_by"]) == (
        "imported", 2, path.name, "bo_u")
    listed = bo.get("/api/imports/").json()
    assert [b["id"] for b in listed["results"]] == [body["id"]]
    detail = bo.get(f"/api/imports/{body['id']}/").json()
    assert detail["report"]["message"] == "Imported."


def test_api_json_rows_with_partial_mode(api, staff):
    rows = [account_row(account_id="1"), account_row(account_id="2", commission="abc")]
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "rows": rows, "partial": True},
                                             format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["rows_written"], body["rows_rejected"]) == ("partial", 1, 1)
    assert body["report"]["errors"] == [{"line": 2, "column": "commission", "reason": "“abc” is not a decimal amount",
                                         "reason_code": "row.not_decimal", "reason_params": {"v": "abc"}}]


def test_api_rejected_file_answers_422_with_report(api, staff, write_csv):
    path = write_csv("accounts", [account_row(margin="-5.00")])
    response = api(staff["head"]).post("/api/imports/", {"kind": "accounts", "file": upload(path)}, format="multipart")
    assert response.status_code == 422
    assert response.json()["report"]["errors"][0]["column"] == "margin"
    assert AccountSettlement.objects.count() == 0


@pytest.mark.parametrize("who", ["am1", "bm_sh", "agent", "marketing", "compliance"])
def test_api_refuses_roles_that_may_not_import(api, staff, who, write_csv):
    client = api(staff[who])
    path = write_csv("accounts", [account_row()])
    assert client.post("/api/imports/", {"kind": "accounts", "file": upload(path)},
                       format="multipart").status_code == 403
    assert client.get("/api/imports/").status_code == 403
    assert ImportBatch.objects.count() == 0


def test_api_anonymous_refused(client):
    assert client.get("/api/imports/").status_code in (401, 403)


# --- pages --------------------------------------------------------------------------------------
def test_page_upload_report_and_rejected_csv(client, staff, write_csv):
    login(client, staff["head"])
    page = client.get(reverse("clients:import_list"))
    assert page.status_code == 200 and "Import a file" in page.content.decode()
    path = write_csv("accounts", [account_row(account_id="1"), account_row(account_id="2", deposit="-1.00")])
    response = client.post(reverse("clients:import_list"),
                           {"kind": "accounts", "file": upload(path), "encoding": "auto"}, follow=True)
    html = response.content.decode()
    assert "1 row(s) failed the checks, so the whole file was rejected and nothing was written." in html
    assert "“-1.00” must not be negative" in html
    batch = ImportBatch.objects.get()
    csv_text = b"".join(client.get(reverse("clients:import_rejected_csv", args=[batch.pk])).streaming_content)
    lines = csv_text.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("line,reasons,trade_date,account_id")
    assert lines[1].startswith("3,deposit: “-1.00” must not be negative,2025-01-02,2,")
    assert AccountSettlement.objects.count() == 0


def test_page_partial_then_fix_and_rerun_in_browser_form(client, staff, write_csv):
    login(client, staff["admin"])
    bad = account_row(account_id="2", trade_date="2025-13-01")
    path = write_csv("accounts", [account_row(account_id="1"), bad])
    client.post(reverse("clients:import_list"), {"kind": "accounts", "file": upload(path), "encoding": "auto",
                                                 "partial": "on"})
    row = QuarantinedRow.objects.get()
    listing = client.get(reverse("clients:quarantine_list")).content.decode()
    assert "is not a real calendar date" in listing
    form = client.get(reverse("clients:quarantine_fix", args=[row.pk])).content.decode()
    assert 'value="2025-13-01"' in form
    response = client.post(reverse("clients:quarantine_fix", args=[row.pk]), {**bad, "trade_date": "2025-01-02"},
                           follow=True)
    assert "The corrected row was imported" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "fixed"
    assert AccountSettlement.objects.count() == 2


@pytest.mark.parametrize("who", ["am1", "bm_sh", "agent", "backoffice"])
def test_import_pages_refused(client, staff, who):
    login(client, staff[who])
    assert client.get(reverse("clients:import_list")).status_code == 403
    assert client.get(reverse("clients:quarantine_list")).status_code == 403


def test_import_nav_only_for_import_roles(client, staff):
    login(client, staff["head"])
    assert reverse("clients:import_list") in client.get(reverse("clients:alert_list")).content.decode()
    client.logout()
    login(client, staff["am1"])
    html = client.get(reverse("clients:alert_list")).content.decode()
    assert reverse("clients:import_list") not in html


def test_alert_list_shows_a_managers_own_clients_only(client, staff, book, write_csv):
    from clients.imports.services import import_run

    rows = [account_row(account_id=book[k].account_id, pre="100.00", close_profit="-500.00", position_profit="0.00",
                        commission="1.00", exchange_fee="0.50", margin="0.00", margin_call="401.00")
            for k in ("zhang", "li")]
    import_run(kind="accounts", path=write_csv("accounts", rows))
    login(client, staff["am1"])
    html = client.get(reverse("clients:alert_list")).content.decode()
    assert book["zhang"].account_id in html and book["li"].account_id not in html
    assert "Negative equity (穿仓)" in html
    alert = SettlementAlert.objects.get(client=book["zhang"], kind="negative_equity")
    client.post(reverse("clients:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff["am1"]
    other = SettlementAlert.objects.filter(client=book["li"]).first()
    assert client.post(reverse("clients:alert_acknowledge", args=[other.pk])).status_code == 404


# --- drop folder --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_drop_folder_task_on_a_real_worker(celery_worker_live, settings, tmp_path, write_csv):
    drop = tmp_path / "drop"
    drop.mkdir()
    settings.IMPORT_DROP_DIR = drop
    shutil.copy(write_csv("accounts", [account_row(account_id="1")]), drop / "accounts_20250102.csv")
    shutil.copy(write_csv("accounts", [account_row(account_id="2", withdrawal="-1.00")]), drop / "资金日结_bad.csv")
    (drop / "notes.csv").write_text("hello\n")
    (drop / "accounts_20250103.csv.part").write_text("still being written")

    from clients.tasks import import_drop_folder

    batch_ids = import_drop_folder.delay().get(timeout=60)
    assert len(batch_ids) == 2
    assert sorted(p.name for p in (drop / "processed").iterdir()) == [
        "accounts_20250102.csv", "accounts_20250102.csv.report.txt"]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        "notes.csv", "notes.csv.report.txt", "资金日结_bad.csv", "资金日结_bad.csv.report.txt"]
    report = (drop / "failed" / "资金日结_bad.csv.report.txt").read_text(encoding="utf-8")
    assert "line 2, column withdrawal: “-1.00” must not be negative" in report
    assert [p.name for p in drop.iterdir() if p.is_file()] == ["accounts_20250103.csv.part"]
    assert list(AccountSettlement.objects.values_list("client__account_id", flat=True)) == ["1"]
    assert {b.source for b in ImportBatch.objects.all()} == {"drop"}


def test_beat_schedule_has_the_drop_folder():
    from django.conf import settings

    assert any(e["task"] == "clients.import_drop_folder" for e in settings.CELERY_BEAT_SCHEDULE.values())


def test_client_page_shows_settlement_panel(client, staff, book, write_csv):
    from clients.imports.services import import_run

    zhang = book["zhang"]
    import_run(kind="accounts", path=write_csv("accounts", [account_row(account_id=zhang.account_id)]))
    login(client, staff["am1"])
    html = client.get(reverse("clients:detail", args=[zhang.pk])).content.decode()
    assert 'id="settlement-panel"' in html
    assert "100,970.25" in html and "19.8%" in html  # equity, and risk degree 20000 ÷ 100970.25
