"""A batch's life: claimed and committed first, its outcome committed with its rows, failed with its reason
whatever goes wrong, failed when stale; uploads answered at once with live progress; one batch per file."""

import datetime
import json
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from clients.imports import progress, services
from clients.imports.services import import_queued, import_run, import_submit
from clients.models import AccountSettlement, ImportBatch, QuarantinedRow
from clients.tasks import import_fail_stale as sweep_task
from futures_crm.models import AuditEntry
from tests.factories import PASSWORD

from .conftest import account_row

pytestmark = pytest.mark.django_db


def _upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")


def _broken_writer(monkeypatch, exc=None):
    """The import fails after its rows are written (inside its transaction), on every route."""
    def after_write(run):
        raise exc or RuntimeError("disk full")

    monkeypatch.setattr(services, "_after_write", after_write)


# -- any failure ends the batch failed, with its reason, and nothing of it written ---------------------------

@pytest.mark.parametrize("partial", [False, True])
def test_an_exception_fails_the_batch_and_writes_nothing(write_csv, monkeypatch, partial):
    _broken_writer(monkeypatch)
    rows = [account_row("1"), account_row("3")] + ([account_row("2", deposit="-1.00")] if partial else [])
    batch = import_run(kind="accounts", path=write_csv("accounts", rows), partial=partial)
    assert (batch.status, batch.report["failure"]) == ("failed", "error")
    assert batch.message == ("The import failed before it finished (RuntimeError: disk full). Nothing of it "
                                       "was written; send the file again.")
    assert batch.finished_at and (batch.rows_written, batch.rows_rejected) == (0, 0)
    assert AccountSettlement.objects.count() == 0
    assert not QuarantinedRow.objects.exists()  # no quarantine of a batch that did not finish
    assert not AuditEntry.objects.filter(action="import.accounts").exists()
    assert not batch.ok and not batch.live


@pytest.mark.django_db(transaction=True)
def test_the_batch_is_committed_before_the_import_and_fails_outside_its_transaction(write_csv, monkeypatch, settings):
    """Seen from another connection: the batch runs (committed, with a heartbeat), then ends failed."""
    seen = {}

    def apply(self):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cur:
                cur.execute("SELECT status, heartbeat_at IS NOT NULL FROM clients_importbatch")
                seen["during"] = cur.fetchall()
        finally:
            other.close()
        raise ValueError("boom")

    monkeypatch.setattr("clients.imports.writer_pg.PgWriter.apply", apply)
    settings.IMPORT_LINE_CHECK = "python"
    batch = import_run(kind="accounts", path=write_csv("accounts", [account_row()]))
    assert seen["during"] == [("running", True)]
    assert batch.status == "failed" and ImportBatch.objects.get().status == "failed"
    assert AccountSettlement.objects.count() == 0


def test_a_stop_request_fails_the_batch_and_goes_on_stopping(write_csv, monkeypatch, settings):
    _broken_writer(monkeypatch, KeyboardInterrupt())
    settings.IMPORT_LINE_CHECK = "python"
    with pytest.raises(KeyboardInterrupt):
        import_run(kind="accounts", path=write_csv("accounts", [account_row()]))
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.report["failure"]) == ("failed", "stopped")
    assert batch.message.startswith("The import was stopped before it finished (KeyboardInterrupt)")


def test_a_time_limit_fails_the_batch_saying_so(write_csv, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    settings.IMPORT_TIME_LIMIT = 900
    settings.IMPORT_LINE_CHECK = "python"
    _broken_writer(monkeypatch, SoftTimeLimitExceeded())
    batch = import_run(kind="accounts", path=write_csv("accounts", [account_row()]))
    assert (batch.status, batch.report["failure"]) == ("failed", "timeout")
    assert "longer than its time limit (900 s)" in batch.message


def test_a_failed_batch_does_not_make_the_file_a_duplicate(write_csv, monkeypatch, settings):
    path = write_csv("accounts", [account_row()])
    with monkeypatch.context() as patch:
        _broken_writer(patch)
        settings.IMPORT_LINE_CHECK = "python"
        assert import_run(kind="accounts", path=path).status == "failed"
    assert import_run(kind="accounts", path=path).status == "imported"
    assert AccountSettlement.objects.count() == 1


def test_the_command_exits_2_on_a_failure_with_its_reason(write_csv, monkeypatch, settings, capsys):
    from django.core.management import CommandError, call_command

    _broken_writer(monkeypatch)
    settings.IMPORT_LINE_CHECK = "python"
    with pytest.raises(CommandError) as exc:
        call_command("import_data", "accounts", str(write_csv("accounts", [account_row()])))
    assert exc.value.returncode == 2
    assert "Failed" in capsys.readouterr().out and "RuntimeError: disk full" in str(exc.value)


@pytest.mark.django_db(transaction=True)
def test_a_batch_failed_as_stale_while_it_ran_does_not_commit_its_rows(write_csv, monkeypatch):
    """The sweep failed the batch (its heartbeat seemed gone) while the import went on: the import must not
    then commit rows under a batch that says failed."""

    def after_write(run):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cur:  # what the sweep does, from its own connection
                cur.execute("UPDATE clients_importbatch SET status = 'failed', report = '{\"message\": \"stale\"}'")
        finally:
            other.close()

    monkeypatch.setattr(services, "_after_write", after_write)
    batch = import_run(kind="accounts", path=write_csv("accounts", [account_row()]))
    assert (batch.status, batch.message) == ("failed", "stale")
    assert AccountSettlement.objects.count() == 0


# -- stale batches: failed when looked at, and by the sweep --------------------------------------------------

def _stale(status="running", minutes=3, **fields):
    then = timezone.now() - datetime.timedelta(minutes=minutes)
    batch = ImportBatch.objects.create(kind="accounts", source="api", status=status, checksum="c" * 64,
                                       heartbeat_at=then if status == "running" else None, **fields)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=then)
    return batch


def test_a_running_batch_without_heartbeat_is_failed_when_looked_at(api, client, staff):
    fresh = _stale(minutes=1)
    batch = _stale()
    body = api(staff["backoffice"]).get(f"/api/imports/{batch.pk}/").json()
    assert (body["status"], body["report"]["failure"]) == ("failed", "stale")
    assert "no sign of life after" in body["report"]["message"]
    fresh.refresh_from_db()
    assert fresh.status == "running"  # a minute of silence is not two

    other = _stale()
    assert client.login(username="head_u", password=PASSWORD)
    html = client.get(reverse("clients:import_detail", args=[other.pk])).content.decode()
    assert "Failed" in html and "no sign of life" in html


def test_the_periodic_sweep_fails_stale_batches_and_removes_their_upload(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_TIME_LIMIT = 600
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "waiting.csv").write_text("x")
    queued = _stale(status="queued", minutes=11, upload="waiting.csv")
    recent = _stale(status="queued", minutes=9)
    running = _stale(minutes=5)
    failed = sweep_task.delay().get()
    assert sorted(failed) == sorted([queued.pk, running.pk])
    queued.refresh_from_db()
    recent.refresh_from_db()
    assert queued.status == "failed" and queued.upload == ""
    assert queued.message == ("No worker started this import within 10 minutes. Nothing of it was "
                                        "written; send the file again.")
    assert recent.status == "queued"
    assert not (tmp_path / "imports" / "waiting.csv").exists()


def test_the_sweep_is_on_the_beat_schedule():
    from django.conf import settings

    assert any(e["task"] == "clients.import_fail_stale" for e in settings.CELERY_BEAT_SCHEDULE.values())


# -- progress, written outside the import's transaction ------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_progress_and_heartbeat_are_seen_while_the_import_runs(write_csv, monkeypatch, settings):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.02)
    settings.IMPORT_LINE_CHECK = "python"
    rows = [account_row(str(n)) for n in range(5000)] + [account_row("x", deposit="-1.00")]
    seen = {}
    real_apply = services.ImportRun.stop_if_rejected

    def watch(run):
        """Before writing: wait until another connection sees the counters of every line read."""
        other = connections.create_connection("default")
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with other.cursor() as cur:
                    cur.execute("SELECT status, progress FROM clients_importbatch")
                    seen["status"], seen["progress"] = cur.fetchone()
                    seen["progress"] = json.loads(seen["progress"])
                if seen["progress"].get("read") == 5001:
                    break
                time.sleep(0.02)
        finally:
            other.close()
        return real_apply(run)

    monkeypatch.setattr(services.ImportRun, "stop_if_rejected", watch)
    batch = import_run(kind="accounts", path=write_csv("accounts", rows), partial=True)
    assert seen["status"] == "running"
    assert {k: seen["progress"][k] for k in ("phase", "read", "checked", "rejected")} == {
        "phase": "reading", "read": 5001, "checked": 5000, "rejected": 1}
    assert seen["progress"]["bytes"] == seen["progress"]["size"] > 0
    assert batch.status == "partial"
    assert {k: batch.progress[k] for k in ("phase", "read", "checked", "rejected", "written")} == {
        "phase": "done", "read": 5001, "checked": 5000, "rejected": 1, "written": 5000}
    assert not [t for t in threading.enumerate() if t.name.startswith("import-")]  # the heartbeat stopped


# -- uploads: answered at once, imported by a worker ---------------------------------------------------------

@pytest.fixture
def no_worker(monkeypatch):
    """A broker without a worker: tasks are sent (recorded here), not run."""
    from futures_crm.celery import app

    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr("clients.tasks.import_batch.apply_async", lambda args, **kw: sent.append((args, kw)))
    yield sent
    app.conf.CELERY_TASK_ALWAYS_EAGER = True  # as the autouse fixture left it


def test_an_upload_is_answered_202_with_its_url_and_a_worker_imports_it(api, staff, write_csv, no_worker, settings,
                                                                         tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_TIME_LIMIT = 1800
    path = write_csv("accounts", [account_row("1"), account_row("2")])
    with django_capture_on_commit_callbacks(execute=True):
        response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "file": _upload(path)},
                                                 format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == {"phase": "queued"}
    assert response["Location"] == body["url"] == f"http://testserver/api/imports/{body['id']}/"
    assert no_worker == [((body["id"],), {"expires": 1800})]
    batch = ImportBatch.objects.get()
    assert (tmp_path / "imports" / batch.upload).read_bytes() == path.read_bytes()
    assert batch.encoding == "utf-8"

    # A second copy while the first waits: a duplicate pointing to it, and nothing queued.
    again = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "file": _upload(path)},
                                          format="multipart")
    assert again.status_code == 200
    assert again.json()["previous_batch_url"] == body["url"]
    assert again.json()["report"]["message"].startswith(f"This file is being imported as batch #{batch.pk} (sent ")
    assert len(no_worker) == 1

    done = import_queued(batch_id=batch.pk)  # what the worker's task runs
    assert (done.status, done.rows_written, done.upload) == ("imported", 2, "")
    assert not any((tmp_path / "imports").iterdir())
    assert import_queued(batch_id=batch.pk).status == "imported"  # delivered twice: taken once
    assert AccountSettlement.objects.count() == 2


def test_the_page_redirects_to_the_batch_page_which_follows_the_import(client, staff, write_csv, no_worker, settings,
                                                                      tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    assert client.login(username="head_u", password=PASSWORD)
    path = write_csv("accounts", [account_row("1")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clients:import_list"), {"kind": "accounts", "file": _upload(path),
                                                                "encoding": "auto"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("clients:import_detail", args=[batch.pk])
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in html and "js/import_progress.js" in html and "Waiting for a worker" in html
    state = client.get(reverse("clients:import_progress", args=[batch.pk])).json()
    assert (state["status"], state["live"], state["phase_display"]) == ("queued", True, "Waiting for a worker")

    import_queued(batch_id=batch.pk)
    state = client.get(reverse("clients:import_progress", args=[batch.pk])).json()
    assert (state["status"], state["live"], state["message"]) == ("imported", False, "Imported.")
    assert state["progress"]["written"] == 1
    html = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' not in html and "Imported." in html


def test_the_progress_endpoint_is_for_the_import_roles_only(client, staff):
    batch = _stale(minutes=0)
    assert client.login(username="am1", password=PASSWORD)
    assert client.get(reverse("clients:import_progress", args=[batch.pk])).status_code == 403


def test_a_broker_that_cannot_be_reached_fails_the_batch_at_once(staff, write_csv, no_worker, monkeypatch, settings,
                                                                tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path

    def down(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr("clients.tasks.import_batch.apply_async", down)
    path = write_csv("accounts", [account_row()])
    with django_capture_on_commit_callbacks(execute=True):
        batch = import_submit(kind="accounts", upload=_upload(path), by=staff["backoffice"])
    batch.refresh_from_db()
    assert (batch.status, batch.report["failure"]) == ("failed", "queue")
    assert "could not be handed to a worker (ConnectionRefusedError: Connection refused)" in batch.message
    assert not any((tmp_path / "imports").iterdir())


# -- size limits ----------------------------------------------------------------------------------------------

def test_an_upload_over_the_limit_is_a_413_before_it_is_read(api, staff, settings, write_csv):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    path = write_csv("accounts", [account_row(str(n)) for n in range(12000)])
    assert path.stat().st_size > 1024 * 1024 + services.MULTIPART_SLACK
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "file": _upload(path)},
                                             format="multipart")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The file is larger than the 1 MB an upload may be")
    assert not ImportBatch.objects.exists()


def test_json_rows_over_the_limit_are_a_413(api, staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    rows = [account_row(str(n)) for n in range(100)]
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "rows": rows}, format="json")
    assert response.status_code == 413
    assert "send the rows as a file instead" in response.json()["detail"]


def test_the_page_refuses_a_file_over_the_limit_with_a_413_and_says_why(client, staff, settings, write_csv):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    assert client.login(username="head_u", password=PASSWORD)
    path = write_csv("accounts", [account_row(str(n)) for n in range(12000)])
    response = client.post(reverse("clients:import_list"), {"kind": "accounts", "file": _upload(path),
                                                            "encoding": "auto"})
    assert response.status_code == 413
    assert "The file is larger than the 1 MB an upload may be" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_json_rows_failing_answer_503_with_the_batch(api, staff, monkeypatch):
    _broken_writer(monkeypatch)
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "rows": [account_row()]},
                                             format="json")
    assert response.status_code == 503
    assert response.json()["status"] == "failed"


def test_json_rows_sent_again_answer_200_pointing_to_the_first_batch(api, staff):
    client = api(staff["backoffice"])
    first = client.post("/api/imports/", {"kind": "accounts", "rows": [account_row()]}, format="json")
    again = client.post("/api/imports/", {"kind": "accounts", "rows": [account_row()]}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["previous_batch_url"] == first.json()["url"]


# -- the migration: batches earlier versions left running ----------------------------------------------------

def test_batches_left_running_by_earlier_versions_are_failed_and_their_quarantine_removed():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("clients.migrations.0006_import_batch_lifecycle")
    stuck = ImportBatch.objects.create(kind="accounts", source="api", status="running")
    QuarantinedRow.objects.create(batch=stuck, line=2, raw={}, errors=[])
    done = ImportBatch.objects.create(kind="accounts", source="api", status="partial")
    QuarantinedRow.objects.create(batch=done, line=2, raw={}, errors=[])
    migration.fail_stuck_batches(apps, None)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.report["failure"] == "stuck"
    assert list(QuarantinedRow.objects.values_list("batch_id", flat=True)) == [done.pk]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_outlives_an_error_of_its_own_connection(monkeypatch):
    """A database that is away for a beat (any error, not only DatabaseError) must not stop the heartbeat:
    a stopped heartbeat would have the sweep fail an import that is still running."""
    from django.db import InterfaceError

    batch = ImportBatch.objects.create(kind="accounts", source="api", status="running")
    real, calls = connections.create_connection, []

    def flaky(alias):
        calls.append(alias)
        if len(calls) == 1:
            raise InterfaceError("connection already closed")
        return real(alias)

    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.01)
    monkeypatch.setattr(progress.connections, "create_connection", flaky)
    with progress.Progress(batch.pk, live=True) as beat:
        beat.update(read=7)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and ImportBatch.objects.get(pk=batch.pk).progress.get("read") != 7:
            time.sleep(0.01)
    batch.refresh_from_db()
    assert len(calls) >= 2 and batch.progress["read"] == 7 and batch.heartbeat_at is not None
