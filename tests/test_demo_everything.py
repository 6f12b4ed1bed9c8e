"""`demo_data --days`: the demo brokerage shows the whole product working, the first time (issue 10).

A small demo (60 clients, 30 trading days) built once through the command; each test proves one part of
the product is alive in it. The nightly engine ran for every trading day of the history.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from clients.demo import DEMO_LOGINS, DEMO_PASSWORD
from clients.models import AccountSettlement, Client
from futures_crm.roles import API_ONLY_ROLES, Role, user_role
from referrals.choices import IntermediaryStatus, ReferralStatus, StatementStatus
from referrals.models import (
    ClubMembership,
    Handover,
    Intermediary,
    IntermediaryLink,
    IntermediaryRelative,
    IntermediaryTraining,
    ManagerAssignment,
    RebateStatement,
    Referral,
    ReferralReward,
)
from referrals.selectors import compliance_report, orphaned_clients
from segmentation.models import ClientSegment, NightlyRun, SegmentTransition
from segmentation.services import current_policy
from service.choices import ProspectGrade, TaskStatus, TicketStatus, TicketType
from service.models import (
    ActivityRecipient,
    CommunicationLog,
    Notification,
    Prospect,
    ProspectVisit,
    Survey,
    Ticket,
)
from service.selectors import my_day

TODAY = datetime.date(2026, 6, 30)
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py does per test
DAYS = 30


def load(seed=5, clients=60):
    out = io.StringIO()
    call_command("demo_data", "--clients", str(clients), "--seed", str(seed), "--today", TODAY.isoformat(),
                 "--days", str(DAYS), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at the end (the tests only read)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def user(demo, db):
    return lambda name: get_user_model().objects.get(username=name)


def high_risk():
    return ClientSegment.objects.filter(churn_score__gte=current_policy().value("retention_score"))


def test_the_command_reports_each_stage_and_every_role_logs_in(demo, user, client):
    for line in ("Demo settlement: accounts imported", "Demo relationships:", "Demo service desk:",
                 f"Demo nights: {DAYS} of {DAYS} nightly runs succeeded", "Administrator", "Account manager"):
        assert line in demo
    assert {user_role(user(name)) for _label, name in DEMO_LOGINS} == set(Role)
    for _label, name in DEMO_LOGINS:
        assert client.login(username=name, password=DEMO_PASSWORD), name


def test_a_nightly_run_succeeded_for_each_trading_day(demo, db):
    days = sorted(AccountSettlement.objects.values_list("trade_date", flat=True).distinct())
    assert len(days) == DAYS
    runs = list(NightlyRun.objects.order_by("trade_date").values_list("trade_date", "status"))
    assert runs == [(d, "succeeded") for d in days]
    assert NightlyRun.objects.filter(mode="rolling").count() == DAYS - 1  # the first night rebuilds


def test_segments_churn_lifetime_value_and_loyalty(demo, db):
    segments = ClientSegment.objects.all()
    assert segments.count() == Client.objects.count()
    for axis in ("purpose", "fund_size", "volume", "tenure"):
        assert segments.values(axis).distinct().count() >= 2, axis
    assert segments.filter(volume="dormant").exists()
    assert SegmentTransition.objects.filter(source="rule").exists()
    # A realistic few at high churn risk, each with a retention task; some churned; some loyal.
    risky = high_risk()
    assert 1 <= risky.count() <= Client.objects.count() // 10
    assert all(s.churn_signals for s in risky)
    assert {"equity_outflow", "volume_drop"} <= {sig for s in risky for sig in s.churn_signals}
    assert all(Client.objects.get(pk=s.client_id).tasks.filter(kind="retention").exists() for s in risky)
    assert segments.filter(churned=True).exists()
    assert segments.filter(loyal=True).exists()
    assert segments.filter(lifetime_value__gt=0).exists()


def test_intermediaries_links_training_relatives_contract_warnings_and_rebates(demo, user, db):
    assert Intermediary.objects.count() >= 10
    assert IntermediaryLink.objects.filter(valid_to__isnull=True).exists()
    assert IntermediaryTraining.objects.exists() and IntermediaryRelative.objects.exists()
    assert Intermediary.objects.filter(status=IntermediaryStatus.LEFT).exists()
    report = compliance_report(user=user("compliance"), today=TODAY)
    assert [i.code for i in report["contract"]] == ["JJSH01002"]  # one contract about to expire
    assert report["relatives"]  # a declared relative is a client
    assert report["signs"]["over_trading"] or report["signs"]["converging"] or report["signs"]["negative_equity"]
    confirmed = RebateStatement.objects.filter(status=StatementStatus.CONFIRMED)
    assert confirmed.exists() and confirmed.first().lines.exists()
    assert orphaned_clients().exists()


def test_referrals_at_every_stage_with_rewards_club_members_and_a_handover(demo, db):
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert ReferralReward.objects.filter(referral__status=ReferralStatus.FUNDED).exists()
    assert ClubMembership.objects.count() >= 3
    handover = Handover.objects.get()
    assert handover.client_count == ManagerAssignment.objects.filter(handover=handover).count() > 0
    assert not Client.objects.filter(account_manager=handover.leaving_manager).exists()


def test_tickets_in_every_state_with_an_escalated_overdue_complaint(demo, user, db):
    assert set(Ticket.objects.values_list("status", flat=True)) == set(TicketStatus.values)
    complaint = Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, escalated_at__isnull=False,
                                      status=TicketStatus.IN_PROGRESS).first()
    assert complaint is not None
    assert Notification.objects.filter(ticket=complaint).exists()
    assert "complaint_overdue" in complaint.client.segment.churn_signals


def test_my_day_has_tasks_for_every_role_and_the_manager_sees_churn(demo, user, db):
    page_users = [name for _label, name in DEMO_LOGINS if user_role(user(name)) not in API_ONLY_ROLES]
    for name in page_users:
        day = my_day(user=user(name), today=TODAY)
        assert day["tasks"], name
        assert all(t.status == TaskStatus.OPEN for t in day["tasks"])
    manager = my_day(user=user("manager"), today=TODAY)
    # The clients the nights found at high risk, and the retention tasks they opened, due by now.
    assert manager["churn"] and {t.kind for t in manager["tasks"]} >= {"retention", "call_back"}
    assert manager["birthdays"]
    assert my_day(user=user("compliance"), today=TODAY)["tickets"]  # the compliance queue's complaints


def test_care_messages_prospects_activities_and_surveys(demo, db):
    assert CommunicationLog.objects.filter(occasion__startswith="birthday:", result="sent").exists()
    assert CommunicationLog.objects.filter(occasion__startswith="activity:").exists()
    assert set(Prospect.objects.values_list("grade", flat=True)) == set(ProspectGrade.values)
    assert all(ProspectVisit.objects.filter(prospect__grade=g).exists() for g in ProspectGrade.values)
    assert Prospect.objects.filter(client__isnull=False).exists()  # one opened an account
    assert ActivityRecipient.objects.filter(status="attended").exists()
    assert Survey.objects.filter(satisfaction__gte=9, trades_elsewhere=False).exists()


def test_staff_pages_open_on_the_demo(demo, client):
    assert client.login(username="manager", password=DEMO_PASSWORD)
    for url in ("/segments/", "/service/my-day/", "/service/tickets/", "/service/prospects/",
                "/relationships/referrals/"):
        assert client.get(url).status_code == 200, url
    assert client.login(username="compliance", password=DEMO_PASSWORD)
    complaint = Ticket.objects.filter(escalated_at__isnull=False, owner__isnull=True).first()
    assert client.get(f"/service/tickets/{complaint.pk}/").status_code == 200
    assert client.login(username="admin", password=DEMO_PASSWORD)
    for url in ("/segments/runs/", "/relationships/intermediaries/", "/relationships/intermediaries/compliance/",
                "/relationships/club/", "/service/activities/", "/service/surveys/"):
        assert client.get(url).status_code == 200, url


def test_the_demos_generated_texts_are_codes_read_in_the_readers_language(demo, client):
    from clients.models import ImportBatch
    from service.models import ProspectGradeChange, Task

    nightly = Task.objects.filter(source__startswith="segmentation:")
    assert nightly.exists() and not nightly.filter(title_code="").exists()
    assert not Task.objects.filter(source__startswith="care:", title_code="").exists()
    assert set(ProspectGradeChange.objects.filter(from_grade="").values_list("reason_code", flat=True)) == {
        "prospect.first_grade"}
    assert all(isinstance(b.report.get("message"), dict) for b in ImportBatch.objects.exclude(status="failed"))
    assert not Notification.objects.filter(message_code="").exists()
    assert client.login(username="manager", password=DEMO_PASSWORD)
    html = client.get("/service/my-day/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户挽留：流失风险评分" in html and "Retention:" not in html and "Birthday on" not in html


def test_products_mismatches_and_renewals_on_the_demo(demo, user, client, db):
    from clients.models import Product, SuitabilityAlert
    from service.models import Task
    from service.suitability import suitability_worklist

    assert Product.objects.filter(exchange="CFFEX", code="IF", risk_level="R4").exists()
    alerts = SuitabilityAlert.objects.filter(status="open", kind="level")
    assert alerts.exists()
    assert all(int(a.product_level[1]) > int((a.client_level or "C1")[1]) for a in alerts)
    # Exchange eligibility: most C4/C5 clients have their evidence on file; the few short of it are found.
    eligibility = SuitabilityAlert.objects.filter(status="open", kind="eligibility")
    assert all(a.unmet and a.client.client_type != "financial_institution" for a in eligibility)
    renewals = Task.objects.filter(kind="suitability_renewal", status="open")
    assert renewals.exists()
    assert renewals.values("client").distinct().count() == renewals.count()  # one open task per client
    compliance = user("compliance")
    assert suitability_worklist(user=compliance, today=TODAY).filter(renewal_due__isnull=False).exists()
    client.force_login(compliance)
    assert client.get("/service/suitability/").status_code == 200
