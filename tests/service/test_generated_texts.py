"""The service desk's generated texts (care task titles, grade reasons, notifications, template names, the care
run's result) are stored as codes and read in the reader's language: the same row in Chinese and in English."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse

from service import services
from service.models import CarePlan, Notification, ProspectGradeChange, Task
from tests.factories import PASSWORD, ClientFactory

from .conftest import at

pytestmark = pytest.mark.django_db
D = datetime.date


def page(user, language):
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def only(kind):
    CarePlan.objects.exclude(kind=kind).update(active=False)
    return CarePlan.objects.get(kind=kind)


def test_care_task_titles_read_in_the_readers_language(staff, branches, api):
    only("birthday")
    client = ClientFactory(name="周杰", branch=branches[0], account_manager=staff["am1"], birthday=D(1980, 12, 5))
    services.care_run(on=D(2026, 12, 2))
    task = Task.objects.get(client=client)
    assert (task.title_code, task.title_params) == ("task.care.birthday", {"date": "2026-12-05"})

    for url in (reverse("service:tasks"), reverse("clients:detail", args=[client.pk])):
        zh = page(staff["am1"], "zh-hans").get(url).content.decode()
        assert "2026-12-05 生日" in zh and "Birthday on" not in zh, url
        assert "Birthday on 2026-12-05" in page(staff["am1"], "en").get(url).content.decode(), url

    rest = api(staff["am1"])
    row = rest.get(f"/api/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (row["title"], row["title_code"], row["title_params"]) == (
        "2026-12-05 生日", "task.care.birthday", {"date": "2026-12-05"})
    assert rest.get(f"/api/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["title"] == "Birthday on 2026-12-05"


def test_holiday_care_task_is_titled_by_its_occasion(staff, branches):
    plan = only("spring_festival")
    ClientFactory(name="要客", branch=branches[0], account_manager=staff["am1"], is_key=True)
    services.care_run(on=D(2027, 2, 6) - datetime.timedelta(days=plan.days_ahead))
    task = Task.objects.get()
    assert (task.title_code, task.title_params) == ("task.care.occasion", {"kind": "spring_festival"})
    assert "春节" in page(staff["am1"], "zh-hans").get(reverse("service:tasks")).content.decode()
    assert "Spring Festival" in page(staff["am1"], "en").get(reverse("service:tasks")).content.decode()


def test_a_typed_title_stays_as_typed(staff, book):
    task = services.task_upsert(client=book["zhang"], kind="call_back", due_on=D(2026, 12, 1), title="Call him back")
    assert (task.title, task.title_code) == ("Call him back", "")
    assert "Call him back" in page(staff["am1"], "zh-hans").get(reverse("service:tasks")).content.decode()


def test_care_run_result_reads_in_the_readers_language(staff):
    only("birthday")
    zh = page(staff["head"], "zh-hans").post(reverse("service:care"), {"on": "2026-12-02"}, follow=True)
    html = zh.content.decode()
    assert "：新建任务 0 个，发送消息 0 条" in html and "birthday:" not in html and "task(s)" not in html
    en = page(staff["head"], "en").post(reverse("service:care"), {"on": "2026-12-02"}, follow=True)
    assert "Birthday: 0 task(s) opened, 0 message(s) sent" in en.content.decode()


def test_message_template_names_read_in_the_readers_language(staff, book):
    url = reverse("service:message_new", args=[book["zhang"].pk])
    zh = page(staff["am1"], "zh-hans").get(url).content.decode()
    assert "生日祝福" in zh and "Birthday greeting" not in zh and "生日祝福 / " not in zh
    en = page(staff["am1"], "en").get(url).content.decode()
    assert "Birthday greeting" in en and "生日祝福" not in en


def test_first_grade_reason_reads_in_the_readers_language(staff, api):
    prospect = services.prospect_create(by=staff["am1"], name="钱老板", source="staff", grade="C")
    change = ProspectGradeChange.objects.get(prospect=prospect)
    assert change.reason_code == "prospect.first_grade"
    url = reverse("service:prospect_detail", args=[prospect.pk])
    zh = page(staff["am1"], "zh-hans").get(url).content.decode()
    assert "初始等级" in zh and "First grade" not in zh
    assert "First grade" in page(staff["am1"], "en").get(url).content.decode()
    body = api(staff["am1"]).get(f"/api/prospects/{prospect.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["grade_history"][0] | {"at": None} == {
        "at": None, "from_grade": "", "to_grade": "C", "reason": "初始等级", "reason_code": "prospect.first_grade",
        "reason_params": {}}


def test_overdue_notification_reads_in_the_readers_language_and_mails_in_the_recipients(
        staff, book, django_capture_on_commit_callbacks):
    staff["bm_sh"].email = "bm@example.com"
    staff["bm_sh"].save()
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                  channel="phone", subject="保证金", opened_at=at(2026, 11, 23, 9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        services.tickets_escalate_overdue(at=ticket.deadline + datetime.timedelta(minutes=1))
    note = Notification.objects.get()
    assert note.message_code == "notification.ticket_overdue"
    zh = page(staff["bm_sh"], "zh-hans").get(reverse("service:my_day")).content.decode()
    assert f"工单 #{ticket.pk}“保证金”已超过时限" in zh and "past its deadline" not in zh
    en = page(staff["bm_sh"], "en").get(reverse("service:my_day")).content.decode()
    assert f"Ticket #{ticket.pk} “保证金” is past its deadline" in en
    # The recipient has no language of their own: the site's (settings.LANGUAGE_CODE, English).
    assert [(m.subject, m.body.startswith(f"Ticket #{ticket.pk}")) for m in mail.outbox] == [("Overdue ticket", True)]


def test_older_rows_written_out_are_given_their_codes(staff, book):
    mine = {"owner": staff["am1"], "due_on": D(2026, 12, 1)}
    nightly = Task.objects.create(client=book["zhang"], kind="hedging_plan", **mine,
                                  title="Hedging plan for a new hedger", source="segmentation:2026-11-20")
    risk = Task.objects.create(client=book["zhao"], kind="retention", **mine,
                               title="Retention: churn risk score 65", source="segmentation:2026-11-20")
    care = Task.objects.create(client=book["li"], kind="care", due_on=D(2026, 12, 5),
                               title="Birthday on 2026-12-05", source="care:birthday:2026-12-05")
    typed = Task.objects.create(client=book["zhang"], kind="call_back", **mine, title="回电")
    prospect = services.prospect_create(by=staff["am1"], name="钱老板", source="staff")
    ProspectGradeChange.objects.filter(prospect=prospect).update(reason="初始等级", reason_code="")
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="suggestion", channel="web",
                                  subject="夜盘")
    old = ticket.events.create(kind="escalated", text="未找到营业部负责人")
    importlib.import_module("service.migrations.0005_generated_texts_from_older_rows").forward(apps, None)
    importlib.import_module("service.migrations.0006_ticket_event_texts_as_codes").forward(apps, None)
    old.refresh_from_db()
    assert (old.text_code, old.text_params) == ("ticket.escalated", {"notified": []})
    found = {t.pk: (t.title_code, t.title_params) for t in Task.objects.all()}
    assert found == {nightly.pk: ("task.hedging_plan", {}), risk.pk: ("task.retention", {"score": "65"}),
                     care.pk: ("task.care.birthday", {"date": "2026-12-05"}), typed.pk: ("", {})}
    assert ProspectGradeChange.objects.get(prospect=prospect).reason_code == "prospect.first_grade"
    zh = page(staff["am1"], "zh-hans").get(reverse("service:tasks")).content.decode()
    assert "为新套保客户制定套期保值方案" in zh and "客户挽留：流失风险评分 65" in zh and "回电" in zh


def test_ticket_timeline_steps_read_in_the_readers_language(staff, book, api):
    ticket = services.ticket_open(by=staff["agent"], client=book["wang"], ticket_type="trading_consultation",
                                  channel="phone", subject="出金", opened_at=at(2026, 11, 23, 9, 30))
    services.ticket_assign(ticket=ticket, by=staff["head"], owner=None, queue="compliance", reason="转合规")
    staff["bm_bj"].staff_profile.is_active = False  # Beijing has no branch manager now
    staff["bm_bj"].staff_profile.save()
    services.tickets_escalate_overdue(at=ticket.deadline + datetime.timedelta(minutes=1))
    escalated = ticket.events.get(kind="escalated")
    assert (escalated.text_code, escalated.text_params) == ("ticket.escalated", {"notified": []})
    url = reverse("service:ticket_detail", args=[ticket.pk])
    zh = page(staff["head"], "zh-hans").get(url).content.decode()
    assert "未找到营业部负责人" in zh and "合规 / —. 转合规" in zh
    assert "no branch manager" not in zh and "Compliance /" not in zh
    en = page(staff["head"], "en").get(url).content.decode()
    assert "no branch manager found" in en and "Compliance / —. 转合规" in en
    events = api(staff["head"]).get(f"/api/tickets/{ticket.pk}/timeline/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {"text": "未找到营业部负责人", "text_code": "ticket.escalated", "text_params": {"notified": []}}.items() <= [
        e for e in events if e["kind"] == "escalated"][0].items()
