"""Campaign outreach respects consent: inviting through a channel leaves out every recipient whose newest consent
for that channel and the invitation's purpose is not a given one — marked refused with the reason as a code,
nothing sent — on each channel; the page and the API say how many were left out and why."""

import datetime

import pytest
from django.utils import translation

from privacy.services import consent_record
from service import services
from service.models import ActivityRecipient, CommunicationLog, MessageTemplate
from tests.factories import ClientFactory

from .test_care import gateway  # noqa: F401
from .test_generated_texts import page

pytestmark = pytest.mark.django_db
CHANNELS = ["sms", "email", "wechat"]


@pytest.fixture
def people(staff, branches):
    """Three of am1's clients: one withdrew marketing on every channel, one on SMS only, one never did."""
    make = lambda name: ClientFactory(name=name, branch=branches[0], account_manager=staff["am1"],  # noqa: E731
                                      email=f"{abs(hash(name)) % 10**6}@example.com")
    people = {"all": make("全拒"), "sms": make("拒短信"), "yes": make("都同意")}
    for channel in CHANNELS:
        consent_record(client=people["all"], by=staff["admin"], channel=channel, purpose="marketing", given=False,
                       how="paper", evidence="营销退订书 2026-001")
    consent_record(client=people["sms"], by=staff["admin"], channel="sms", purpose="marketing", given=False,
                   how="call")
    return people


def seminar(staff, people, kind="seminar"):
    activity = services.activity_create(by=staff["marketing"], kind=kind, title="套保研讨会",
                                        held_on=datetime.date(2026, 12, 20))
    for client in people.values():
        ActivityRecipient.objects.create(activity=activity, client=client)
    return activity


def statuses(activity):
    return dict(activity.recipients.values_list("client__name", "status"))


@pytest.mark.usefixtures("gateway")
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_leaves_out_those_without_its_marketing_consent(staff, people, channel):
    activity = seminar(staff, people)
    result = services.activity_invite(activity=activity, by=staff["marketing"], channel=channel,
                                      template=MessageTemplate.objects.first())
    left_out = {"全拒"} | ({"拒短信"} if channel == "sms" else set())
    assert statuses(activity) == {name: "refused" if name in left_out else "invited"
                                  for name in ("全拒", "拒短信", "都同意")}
    assert (result.code, result.params["no_consent"], result.params["invited"]) == (
        "activity.invited_no_consent", len(left_out), 3 - len(left_out))
    rows = activity.recipients.filter(status="refused")
    assert {(r.refusal_code, tuple(sorted(r.refusal_params.items()))) for r in rows} == {
        ("activity.no_consent", (("channel", channel), ("purpose", "marketing")))}
    # Nothing was attempted to those left out; the others got their message.
    sent = set(CommunicationLog.objects.values_list("client__name", flat=True))
    assert sent == {"全拒", "拒短信", "都同意"} - left_out


def test_a_withdrawal_after_a_new_consent_counts_the_newest_and_a_report_push_asks_research(staff, people):
    consent_record(client=people["sms"], by=staff["admin"], channel="sms", purpose="marketing", given=True,
                   how="app")  # given again, newer than the withdrawal
    activity = seminar(staff, people)
    services.activity_invite(activity=activity, by=staff["marketing"], channel="sms")
    assert statuses(activity) == {"全拒": "refused", "拒短信": "invited", "都同意": "invited"}
    push = seminar(staff, people, kind="report_push")
    consent_record(client=people["yes"], by=staff["admin"], channel="sms", purpose="research", given=True,
                   how="app")
    services.activity_invite(activity=push, by=staff["marketing"], channel="sms")
    assert statuses(push) == {"全拒": "refused", "拒短信": "refused", "都同意": "invited"}
    assert set(push.recipients.filter(status="refused").values_list("refusal_params__purpose", flat=True)) == {
        "research"}


def test_without_a_channel_nothing_is_sent_and_nobody_is_left_out_for_consent(staff, people):
    activity = seminar(staff, people)
    result = services.activity_invite(activity=activity, by=staff["marketing"])
    assert set(statuses(activity).values()) == {"invited"} and result.params["no_consent"] == 0


def test_the_page_and_the_api_say_why_in_chinese(staff, people, api):
    activity = seminar(staff, people)
    html = page(staff["marketing"], "zh-hans").post(
        f"/service/activities/{activity.pk}/", {"action": "invite", "channel": "sms", "template": ""},
        follow=True).content.decode()
    assert "已邀请 1 人。 2 人未邀请：无短信的营销同意。" in html
    assert "无短信的营销同意" in html  # the reason beside each refused recipient
    again = seminar(staff, people)
    response = api(staff["marketing"]).post(f"/api/activities/{again.pk}/invite/", {"channel": "wechat"},
                                            format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.json() == {"invited": 2, "refused": 0, "level": "", "no_consent": 1,
                               "message": "已邀请 2 人。 1 人未邀请：无微信的营销同意。"}
    with translation.override("zh-hans"):
        assert {r.refusal_text for r in again.recipients.filter(status="refused")} == {"无微信的营销同意"}
