"""Care plans fire on the right constructed dates; consent and opt-out are respected."""

import datetime

import pytest
from django.core import mail

from privacy.services import consent_record
from service import services
from service.models import CarePlan, CommunicationLog, MessageTemplate, Task
from tests.factories import ClientFactory

from .helpers import settle

pytestmark = pytest.mark.django_db
D = datetime.date

SENT: list = []


class RecordingBackend:
    """An SMS/WeChat gateway stand-in that records what it was asked to send."""

    def send(self, *, to, channel, subject, body):
        SENT.append((to, channel, body))
        return "gateway-ok"


@pytest.fixture(autouse=True)
def gateway(settings):
    SENT.clear()
    settings.SERVICE_MESSAGE_BACKEND = "tests.service.test_care.RecordingBackend"
    return SENT


def only(kind):
    CarePlan.objects.exclude(kind=kind).update(active=False)
    return CarePlan.objects.get(kind=kind)


def test_birthday_task_days_ahead_and_greeting_on_the_day(staff, branches):
    only("birthday")  # seeded: 3 days ahead, SMS, birthday template
    client = ClientFactory(name="周杰", branch=branches[0], account_manager=staff["am1"], birthday=D(1980, 12, 5),
                           phone="13700000001")
    ClientFactory(name="别人", branch=branches[0], birthday=D(1980, 12, 6))
    services.care_run(on=D(2026, 12, 1))
    assert not Task.objects.exists()
    services.care_run(on=D(2026, 12, 2))
    task = Task.objects.get(client=client)
    assert (task.kind, task.due_on, task.owner) == ("care", D(2026, 12, 5), staff["am1"])
    assert SENT == []
    services.care_run(on=D(2026, 12, 5))
    services.care_run(on=D(2026, 12, 5))  # a second run sends nothing more
    assert len(SENT) == 1 and SENT[0][0] == "13700000001" and "周杰" in SENT[0][2] and "王经理" in SENT[0][2]
    log = CommunicationLog.objects.get(client=client)
    assert (log.channel, log.result, log.template.code, log.detail) == ("sms", "sent", "birthday", "gateway-ok")


@pytest.mark.parametrize("kind,holiday", [
    ("spring_festival", D(2027, 2, 6)),
    ("mid_autumn", D(2026, 9, 25)),
    ("national_day", D(2026, 10, 1)),
])
def test_holiday_plans(staff, branches, kind, holiday):
    plan = only(kind)  # seeded: tasks for key clients only
    key = ClientFactory(name="要客", branch=branches[0], account_manager=staff["am1"], is_key=True)
    plain = ClientFactory(name="普通", branch=branches[0], account_manager=staff["am1"])
    ClientFactory(name="销户", branch=branches[0], status="closed")
    ahead = holiday - datetime.timedelta(days=plan.days_ahead)
    services.care_run(on=ahead - datetime.timedelta(days=1))
    assert not Task.objects.exists()
    services.care_run(on=ahead)
    assert list(Task.objects.values_list("client", "due_on")) == [(key.pk, holiday)]
    assert SENT == []
    services.care_run(on=holiday)
    assert {c for c, in CommunicationLog.objects.values_list("client")} == {key.pk, plain.pk}
    assert all(ch == plan.channel for _to, ch, _b in SENT) and len(SENT) == 2


def test_margin_call_and_heavy_loss(staff, branches):
    CarePlan.objects.exclude(kind__in=["margin_call", "heavy_loss"]).update(active=False)
    called = ClientFactory(name="追保", branch=branches[0], account_manager=staff["am1"])
    loser = ClientFactory(name="大亏", branch=branches[0], account_manager=staff["am2"])
    small = ClientFactory(name="小亏", branch=branches[0], account_manager=staff["am2"])
    settle(called, D(2026, 11, 23), pre_balance=100000, margin_call=25000)
    settle(loser, D(2026, 11, 23), pre_balance=100000, close_profit=-15000, position_profit=-10000)
    settle(small, D(2026, 11, 23), pre_balance=100000, close_profit=-5000)
    counts = services.care_run(on=D(2026, 11, 24))
    assert counts["margin_call"] == {"tasks": 1, "messages": 1}
    assert counts["heavy_loss"] == {"tasks": 1, "messages": 1}
    assert set(Task.objects.values_list("client__name", "owner__username")) == {("追保", "am1"), ("大亏", "am2")}
    assert {r.occasion for r in CommunicationLog.objects.all()} == {"margin_call:2026-11-23", "heavy_loss:2026-11-23"}
    # The nightly run tomorrow must not greet them again for the same day.
    services.care_run(on=D(2026, 11, 25))
    assert CommunicationLog.objects.count() == 2


def test_consent_is_respected_per_channel(staff, branches):
    template = MessageTemplate.objects.get(code="birthday")
    refuses_sms = ClientFactory(name="拒短信", branch=branches[0], consent_sms=False, email="a@example.com")
    refuses_mail = ClientFactory(name="拒邮件", branch=branches[0], consent_email=False, email="b@example.com")
    accepts = ClientFactory(name="都接受", branch=branches[0], email="c@example.com")
    results = {
        (c.name, ch): services.message_send(client=c, channel=ch, template=template, by=staff["agent"]).result
        for c in (refuses_sms, refuses_mail, accepts) for ch in ("sms", "email")
    }
    assert results == {
        ("拒短信", "sms"): "refused", ("拒短信", "email"): "sent",
        ("拒邮件", "sms"): "sent", ("拒邮件", "email"): "refused",
        ("都接受", "sms"): "sent", ("都接受", "email"): "sent",
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "c@example.com"]
    assert sorted(to for to, _ch, _b in SENT) == sorted([refuses_mail.phone, accepts.phone])


def test_care_plan_does_not_message_an_opted_out_client(staff, branches):
    only("birthday")
    client = ClientFactory(name="不打扰", branch=branches[0], birthday=D(1990, 3, 3), consent_sms=False)
    services.care_run(on=D(2027, 3, 3))
    assert SENT == []
    assert CommunicationLog.objects.get(client=client).result == "refused"


def test_templates_render_in_both_languages(branches):
    template = MessageTemplate.objects.get(code="margin_call")
    client = ClientFactory(name="张三", branch=branches[0], account_id="8001999999")
    zh = services.message_render(template=template, client=client, language="zh-hans")
    en = services.message_render(template=template, client=client, language="en")
    assert "张三" in zh[1] and "8001999999" in zh[1] and "追加保证金" in zh[1]
    assert en[1].startswith("Dear 张三") and "margin call" in en[1]


def test_message_page_sends_through_the_service(page, staff, book):
    response = page(staff["am1"]).post(f"/service/clients/{book['zhang'].pk}/message/",
                                       {"channel": "wechat", "body": "明天收盘后请留意持仓"})
    assert response.status_code == 302
    log = CommunicationLog.objects.get()
    assert (log.by, log.channel, log.result) == (staff["am1"], "wechat", "sent")
    assert page(staff["am2"]).post(f"/service/clients/{book['zhang'].pk}/message/",
                                   {"channel": "sms", "body": "x"}).status_code == 404


def test_api_send_respects_consent_and_scope(api, staff, book):
    # Consent is a record: the client withdrew WeChat service messages on a call.
    consent_record(client=book["zhang"], by=staff["am1"], channel="wechat", purpose="service", given=False,
                   how="call")
    client = api(staff["am1"])
    refused = client.post("/api/communications/", {"client": book["zhang"].pk, "channel": "wechat",
                                                   "template": "heavy_loss"}, format="json")
    assert refused.status_code == 201 and refused.json()["result"] == "refused" and SENT == []
    sent = client.post("/api/communications/", {"client": book["zhang"].pk, "channel": "sms", "body": "请留意保证金"},
                       format="json")
    assert sent.json()["result"] == "sent" and SENT[0][2] == "请留意保证金"
    assert api(staff["am2"]).post("/api/communications/", {"client": book["zhang"].pk, "channel": "sms",
                                                           "body": "x"}, format="json").status_code == 400
    assert api(staff["marketing"]).get("/api/communications/").json()["count"] == 2


def test_leap_day_birthday_is_greeted_on_the_28th_in_common_years(staff, branches):
    only("birthday")
    leap = ClientFactory(name="闰日", branch=branches[0], birthday=D(1992, 2, 29), phone="13700000229")
    services.care_run(on=D(2027, 2, 25))
    assert Task.objects.get(client=leap).due_on == D(2027, 2, 28)
    services.care_run(on=D(2027, 2, 28))
    assert [to for to, _c, _b in SENT] == ["13700000229"]
