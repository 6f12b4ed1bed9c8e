"""Scheduled reports: who may subscribe to which dashboard (service and page), the daily beat task on a real worker
(once per period, however often it runs; nothing for a user who lost the scope), and the attachment's figures,
which are the dashboard's, in the subscriber's language."""

import base64
import datetime
import io
import re
import smtplib
import zlib
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client as Browser
from django.urls import reverse

from segmentation import indicators, reports
from segmentation.models import ClientMetrics, ClientSegment, ReportSend, ReportSubscription
from tests.factories import PASSWORD

DAY = datetime.date(2026, 11, 27)  # the segments' day (a Friday)
MONDAY = datetime.date(2026, 11, 30)


def browser(user, language="en"):
    b = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert b.login(username=user.username, password=PASSWORD)
    return b


@pytest.fixture
def segmented(book):
    """am1: zhang (churn 80, loyal, net commission 300.00) and zhao (churn 10, 100.00); am2: li (churn 55,
    churned); Beijing: wang (0). Then the day's indicator snapshot, as the nightly run stores it."""
    rows = [("zhang", "hedger", "large", 80, False, True, "300.00"), ("zhao", "speculator", "retail", 10, False,
            False, "100.00"), ("li", "speculator", "medium", 55, True, False, "50.00"),
            ("wang", "speculator", "retail", 0, False, False, "0.00")]
    for key, purpose, size, churn, churned, loyal, commission in rows:
        ClientSegment.objects.create(client=book[key], as_of=DAY, purpose=purpose, fund_size=size, volume="ordinary",
                                     tenure="old", churn_score=churn, churned=churned, loyal=loyal)
        ClientMetrics.objects.create(client=book[key], as_of=DAY, net_commission_250=Decimal(commission))
    indicators.write_day(DAY, policy_version=1, score=50)
    return book


def emailed(staff, *keys):
    for key in keys:
        staff[key].email = f"{key}@example.com"
        staff[key].save(update_fields=["email"])


# ---------------------------------------------------------------- who may subscribe to what


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "scope", "allowed"), [
    ("am1", "manager:{am1}", True), ("am1", "manager:{am2}", False), ("am1", "branch:{sh}", False),
    ("am1", "firm", False), ("bm_sh", "branch:{sh}", True), ("bm_sh", "manager:{am1}", True),
    ("bm_sh", "branch:{bj}", False), ("bm_sh", "firm", False), ("bm_bj", "manager:{am1}", False),
    ("head", "firm", True), ("head", "branch:{bj}", True), ("head", "manager:{am2}", True),
    ("agent", "branch:{sh}", False), ("backoffice", "firm", False),
])
def test_subscribe_only_to_a_dashboard_one_may_see(staff, branches, who, scope, allowed):
    key = scope.format(am1=staff["am1"].pk, am2=staff["am2"].pk, sh=branches[0].pk, bj=branches[1].pk)
    if allowed:
        reports.report_subscribe(by=staff[who], scope=key, frequency="weekly", fmt="pdf", language="en")
        assert ReportSubscription.objects.filter(user=staff[who], active=True).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            reports.report_subscribe(by=staff[who], scope=key, frequency="weekly", fmt="pdf", language="en")
        assert not ReportSubscription.objects.exists()


@pytest.mark.django_db
def test_the_page_subscribes_in_the_users_language_and_unsubscribes(staff, branches):
    page = browser(staff["bm_sh"], "zh-hans")
    html = page.get(reverse("segmentation:reports")).content.decode()
    assert "定时报表" in html and "每周" in html and f'value="branch:{branches[0].pk}" selected' in html
    assert f"branch:{branches[1].pk}" not in html and 'value="firm"' not in html  # only what they may see
    response = page.post(reverse("segmentation:reports"), {"scope": f"branch:{branches[0].pk}",
                                                           "frequency": "monthly", "format": "xlsx"})
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.branch, subscription.frequency, subscription.format,
            subscription.language) == (staff["bm_sh"], branches[0], "monthly", "xlsx", "zh-hans")
    html = page.get(reverse("segmentation:reports")).content.decode()
    assert f'data-subscription="{subscription.pk}"' in html and "每月" in html and "上海营业部 (SH01)" in html
    # Another user's subscription cannot be ended; out-of-scope subscribing is a form error that changes nothing.
    other = browser(staff["bm_bj"])
    assert other.post(reverse("segmentation:reports"), {"action": "unsubscribe",
                                                        "subscription": subscription.pk}).status_code == 404
    refused = other.post(reverse("segmentation:reports"), {"scope": f"branch:{branches[0].pk}",
                                                           "frequency": "weekly", "format": "pdf"})
    assert refused.status_code == 200 and refused.context["form"].errors.keys() == {"scope"}
    assert ReportSubscription.objects.filter(active=True).count() == 1
    page.post(reverse("segmentation:reports"), {"action": "unsubscribe", "subscription": subscription.pk})
    assert not ReportSubscription.objects.filter(active=True).exists()
    assert "no-subscriptions" in page.get(reverse("segmentation:reports")).content.decode()


@pytest.mark.django_db
def test_agents_have_no_reports_page(staff):
    assert browser(staff["agent"]).get(reverse("segmentation:reports")).status_code == 403


# ---------------------------------------------------------------- the attachment


def xlsx_figures(data: bytes) -> dict:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[:3] in (("Section", "Figure", "Value"), ("部分", "指标", "取值")))
    return {(r[0], r[1]): r[2] for r in rows[start + 1:]}


def pdf_text(data: bytes) -> bytes:
    return b"\n".join(zlib.decompress(base64.a85decode(stream, adobe=False))
                      for stream in re.findall(rb"stream\r?\n(.*?)~>endstream", data, re.S))


def dashboard(user, **params):
    response = browser(user).get(reverse("segmentation:dashboard"), params)
    return response.context["data"], response.context["high_risk"]


@pytest.mark.django_db
def test_xlsx_attachment_holds_the_dashboards_figures(staff, segmented):
    emailed(staff, "am1")
    reports.report_subscribe(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly", fmt="xlsx",
                             language="en")
    mail.outbox.clear()
    assert reports.send_due_reports(MONDAY)["sent"] == 1
    (message,) = mail.outbox
    assert message.to == ["am1@example.com"] and message.subject == "Weekly report: My clients, 2026-11-30"
    name, content, mimetype = message.attachments[0]
    assert name == "dashboard-2026-11-30.xlsx" and mimetype.endswith("spreadsheetml.sheet")
    figures = xlsx_figures(content)
    data, high_risk = dashboard(staff["am1"])
    assert figures[("Clients by segment", "Segmented clients")] == data["clients"] == 2
    assert figures[("Clients by segment", "Churned")] == data["churned"] == 0
    assert figures[("Clients by segment", "Loyal")] == data["loyal"] == 1
    assert figures[("Purpose", "Hedger")] == data["segments"]["purpose"]["hedger"] == 1
    assert figures[("Fund size", "Retail")] == data["segments"]["fund_size"]["retail"] == 1
    assert figures[("Churn risk distribution", "75–100")] == data["churn"][4]["clients"] == 1
    assert figures[("Churn risk distribution", "Clients at high risk (score 50 or more)")] == high_risk == 1
    # 300.00 of 400.00: the top 20% (one client of two, rounded up) bring 75%.
    assert data["concentration"]["top20_share"] == "0.7500"
    assert figures[("Value concentration", "Share of net commission brought by the top 20% of clients")] == "75.00%"


@pytest.mark.django_db
def test_pdf_attachment_in_chinese_holds_the_branch_figures(staff, branches, segmented):
    emailed(staff, "bm_sh")
    reports.report_subscribe(by=staff["bm_sh"], scope=f"branch:{branches[0].pk}", frequency="monthly", fmt="pdf",
                             language="zh-hans")
    mail.outbox.clear()
    assert reports.send_due_reports(datetime.date(2026, 12, 1))["sent"] == 1
    (message,) = mail.outbox
    assert message.subject == "每月报表：上海营业部 (SH01)，2026-12-01" and "分群看板" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("dashboard-2026-12-01.pdf", "application/pdf") and content.startswith(b"%PDF")
    data, high_risk = dashboard(staff["bm_sh"])
    assert (data["clients"], data["churned"], data["loyal"], high_risk) == (3, 1, 1, 2)
    text = pdf_text(content)
    for figure in (b"(3) Tj", b"(2) Tj", b"(1) Tj", b"(66.67%) Tj"):  # top 20% of 3 = 1 client: 300 of 450
        assert figure in text, figure


# ---------------------------------------------------------------- the daily send


@pytest.mark.celery
def test_daily_task_on_a_worker_sends_each_report_once_per_period(celery_worker_live, staff, branches, segmented):
    from segmentation.tasks import send_scheduled_reports

    emailed(staff, "am1", "bm_sh", "bm_bj", "head")
    sub = reports.report_subscribe
    sub(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly", fmt="xlsx", language="en")
    sub(by=staff["bm_sh"], scope=f"branch:{branches[0].pk}", frequency="monthly", fmt="pdf", language="zh-hans")
    sub(by=staff["head"], scope=f"branch:{branches[1].pk}", frequency="weekly", fmt="xlsx", language="en")
    moved = sub(by=staff["bm_bj"], scope=f"branch:{branches[1].pk}", frequency="weekly", fmt="pdf", language="en")
    no_mail = sub(by=staff["am2"], scope=f"manager:{staff['am2'].pk}", frequency="weekly", fmt="pdf", language="en")
    # The Beijing branch manager moves to Shanghai: the Beijing dashboard is no longer theirs.
    staff["bm_bj"].staff_profile.branch = branches[0]
    staff["bm_bj"].staff_profile.save()
    mail.outbox.clear()

    counts = send_scheduled_reports.delay(MONDAY.isoformat()).get(timeout=60)
    assert (counts["sent"], counts["no_access"], counts["no_address"]) == (3, 1, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["am1@example.com", "bm_sh@example.com", "head@example.com"]
    head_mail = next(m for m in mail.outbox if m.to == ["head@example.com"])
    assert xlsx_figures(head_mail.attachments[0][1])[("Clients by segment", "Segmented clients")] == 1
    assert not ReportSend.objects.filter(subscription__in=[moved, no_mail]).exists()

    # The same day again (beat fired twice, or the task was redelivered): nothing twice.
    again = send_scheduled_reports.delay(MONDAY.isoformat()).get(timeout=60)
    assert (again["sent"], again["already"], len(mail.outbox)) == (0, 3, 3)
    # Later in the week only the monthly one is due, its month having turned; the weekly ones go next Monday.
    assert send_scheduled_reports.delay("2026-12-02").get(timeout=60)["sent"] == 1
    assert list(ReportSend.objects.filter(subscription__frequency="monthly").values_list(
        "period_start", flat=True).order_by("period_start")) == [datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)]
    assert send_scheduled_reports.delay("2026-12-06").get(timeout=60)["sent"] == 0
    assert send_scheduled_reports.delay("2026-12-07").get(timeout=60)["sent"] == 2
    assert ReportSubscription.objects.get(user=staff["am1"]).last_sent_on == datetime.date(2026, 12, 7)


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses one address (what a crash half-way through the list looks like to the rest)."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["bm_sh@example.com"]:
                raise smtplib.SMTPRecipientsRefused({"bm_sh@example.com": (550, b"no")})
            mail.outbox.append(message)
        return len(messages)


@pytest.mark.django_db
def test_a_failed_send_is_not_recorded_and_goes_on_the_next_run(staff, branches, segmented, settings):
    emailed(staff, "am1", "bm_sh")
    reports.report_subscribe(by=staff["bm_sh"], scope=f"branch:{branches[0].pk}", frequency="weekly", fmt="pdf",
                             language="en")
    reports.report_subscribe(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly", fmt="pdf",
                             language="en")
    mail.outbox.clear()
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    counts = reports.send_due_reports(MONDAY)
    assert (counts["sent"], counts["failed"]) == (1, 1) and [m.to for m in mail.outbox] == [["am1@example.com"]]
    assert list(ReportSend.objects.values_list("recipient", flat=True)) == ["am1@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counts = reports.send_due_reports(MONDAY)  # the retry sends only what did not go
    assert (counts["sent"], counts["already"]) == (1, 1) and mail.outbox[-1].to == ["bm_sh@example.com"]


def test_beat_runs_the_reports_daily():
    from futures_crm.celery import app  # what beat reads: the settings' crontab fields made a crontab

    entry = app.conf.beat_schedule["segmentation-scheduled-reports"]
    assert entry["task"] == "segmentation.send_scheduled_reports"
    assert entry["schedule"].hour == {7} and entry["schedule"].day_of_week == set(range(7))
