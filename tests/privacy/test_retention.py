"""Retention: closed accounts are de-identified once their period ends, set-based, once, audited."""

import datetime

from django.core.management import call_command

from clients.models import Client
from futures_crm.models import AuditEntry
from privacy import retention
from privacy.models import Deidentification
from privacy.tasks import deidentify_due
from tests.factories import ClientFactory

D = datetime.date


def _closed(branch, closed_on, **kw):
    return ClientFactory(branch=branch, status="closed", close_date=closed_on, email="x@example.com",
                         address="上海市浦东新区 1 号", birthday=D(1970, 5, 6), phone_alt="13911110000", **kw)


def test_the_job_clears_personal_data_of_accounts_past_retention_only(branches, settings):
    settings.PERSONAL_DATA_RETENTION_YEARS = 20
    due = _closed(branches[0], D(2006, 3, 1), name="到期客户")
    leap = _closed(branches[0], D(2004, 2, 29), name="闰日销户")
    not_yet = _closed(branches[0], D(2006, 3, 2), name="未到期")
    active = ClientFactory(branch=branches[0], name="在用客户")
    assert deidentify_due(on="2026-03-01") == 2
    due.refresh_from_db()
    assert (due.name, due.id_number, due.phone, due.phone_alt, due.email, due.address, due.birthday,
            due.name_pinyin, due.id_last4) == ("已去标识化", "", "", "", "", "", None, "", "")
    assert due.account_id and due.branch_id == branches[0].pk and due.status == "closed"
    assert Deidentification.objects.get(client=leap).due_on == D(2024, 2, 29)
    for untouched in (not_yet, active):
        untouched.refresh_from_db()
        assert untouched.name in ("未到期", "在用客户") and untouched.phone
    entries = AuditEntry.objects.filter(action="client.deidentify")
    assert entries.count() == 2 and set(entries.values_list("client_id", flat=True)) == {due.pk, leap.pk}
    assert "到期客户" not in str(list(entries.values_list("before", "after")))
    # Idempotent: a rerun finds nothing new and writes nothing.
    assert deidentify_due(on="2026-03-01") == 0
    assert AuditEntry.objects.filter(action="client.deidentify").count() == 2
    assert deidentify_due(on="2026-03-02") == 1


def test_the_period_is_configurable_and_counts_calendar_years(branches, settings):
    client = _closed(branches[0], D(2020, 2, 29))
    settings.PERSONAL_DATA_RETENTION_YEARS = 5
    assert deidentify_due(on="2025-02-27") == 0
    assert deidentify_due(on="2025-02-28") == 1
    assert Client.objects.get(pk=client.pk).phone == ""


def test_report_lists_what_is_due_and_what_was_done(branches, staff, client, settings):
    settings.PERSONAL_DATA_RETENTION_YEARS = 20
    soon = _closed(branches[0], D(2006, 4, 15))
    later = _closed(branches[0], D(2007, 1, 1))
    done = _closed(branches[0], D(2000, 1, 1))
    retention.deidentify_due(on=D(2026, 3, 1))
    report = retention.retention_report(on=D(2026, 3, 1), days=60)
    assert [c.pk for c in report["pending"]] == [soon.pk]
    assert [d.client_id for d in report["done"]] == [done.pk]
    assert later.pk not in [c.pk for c in retention.retention_pending(by_date=D(2026, 12, 31))]
    client.force_login(staff["compliance"])
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/privacy/retention/", {"days": "36500"}).content.decode()
    assert soon.account_id in html and later.account_id in html and done.account_id in html
    for who in ("am1", "bm_sh", "marketing", "agent", "head"):
        client.force_login(staff[who])
        assert client.get("/privacy/retention/").status_code == 403


def test_command_reports_and_runs(branches, settings, capsys):
    settings.PERSONAL_DATA_RETENTION_YEARS = 20
    c = _closed(branches[0], D(2006, 3, 1))
    call_command("retention_report", "--on", "2026-02-01", "--days", "60")
    out = capsys.readouterr().out
    assert c.account_id in out and "1 account(s)" in out
    call_command("retention_report", "--on", "2026-03-01", "--run")
    assert "De-identified 1" in capsys.readouterr().out


def test_the_report_exports_to_xlsx_for_the_same_roles_and_days(branches, staff, client, settings):
    import io

    import openpyxl
    from django.utils import timezone

    settings.PERSONAL_DATA_RETENTION_YEARS = 20
    today = timezone.localdate()
    soon = _closed(branches[0], today.replace(year=today.year - 20) + datetime.timedelta(days=10))
    later = _closed(branches[1], today.replace(year=today.year - 20) + datetime.timedelta(days=400))
    gone = _closed(branches[0], D(2000, 1, 1))
    retention.deidentify_due(on=today)
    client.force_login(staff["compliance"])
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/privacy/retention/", {"days": "30", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
            .iter_rows(values_only=True)]
    header = rows.index(["状态", "资金账号", "营业部", "销户日期", "保存期限届满", "去标识化时间"])
    body = rows[header + 1:]
    assert [(r[0], r[1], r[3].date(), r[4].date()) for r in body[:1]] == [
        ("待去标识化", soon.account_id, soon.close_date, soon.close_date.replace(year=soon.close_date.year + 20))]
    assert [(r[0], r[1]) for r in body[1:]] == [("已去标识化", gone.account_id)]
    assert body[1][5] is not None and later.account_id not in str(rows)
    assert ["保存期限（年）", 20, "届满天数内", 30, None, None] in rows  # the page's period and window, above the table
    # The same days as the page; the page links to its export.
    assert later.account_id in str(list(openpyxl.load_workbook(io.BytesIO(b"".join(client.get(
        "/privacy/retention/", {"days": "500", "export": "xlsx"}).streaming_content))).active.iter_rows(
        values_only=True)))
    assert "days=30&amp;export=xlsx" in client.get("/privacy/retention/", {"days": "30"}).content.decode()
    for who in ("am1", "bm_sh", "marketing", "agent", "head"):
        client.force_login(staff[who])
        assert client.get("/privacy/retention/", {"export": "xlsx"}).status_code == 403
