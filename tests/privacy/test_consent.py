"""Consent as records: the migration of the old flags, the service's rules, enforcement on every outbound
message per channel and purpose, the history on the client page and the API's scope."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from clients.models import Client
from futures_crm.models import AuditEntry
from privacy.models import ConsentRecord
from privacy.selectors import may_contact
from privacy.services import consent_record
from service import services as service_services
from service.models import Activity, ActivityRecipient, CommunicationLog, MessageTemplate
from tests.factories import ClientFactory

SH = ZoneInfo("Asia/Shanghai")
MIGRATION = __import__("importlib").import_module("privacy.migrations.0002_consent_from_flags")


def test_migration_turns_each_flag_into_service_and_marketing_records(branches):
    """Constructed: two clients with flags and no records, then the migration's SQL."""
    sms_off = ClientFactory(branch=branches[0], consent_sms=False, consent_wechat=False)
    all_on = ClientFactory(branch=branches[0])
    ConsentRecord.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(MIGRATION.FORWARD)
    rows = ConsentRecord.objects.filter(client=sms_off)
    assert rows.count() == 8 and set(rows.values_list("how", flat=True)) == {"migrated"}
    assert {(r.channel, r.purpose): r.given for r in rows} == {
        ("phone", "service"): True, ("phone", "marketing"): True, ("sms", "service"): False,
        ("sms", "marketing"): False, ("email", "service"): True, ("email", "marketing"): True,
        ("wechat", "service"): False, ("wechat", "marketing"): False}
    assert ConsentRecord.objects.filter(client=all_on, given=True).count() == 8
    # Research push was never asked for under the old flags: no record, no push.
    assert not may_contact(all_on, "sms", "research")
    with connection.cursor() as cur:
        cur.execute(MIGRATION.BACKWARD)
    assert not ConsentRecord.objects.exists()


def test_the_newest_record_per_channel_and_purpose_holds_and_the_flag_caches_service(staff, book):
    zhang = book["zhang"]
    consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="marketing", given=False, how="call")
    assert not may_contact(zhang, "sms", "marketing") and may_contact(zhang, "sms", "service")
    consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="service", given=False, how="paper",
                   evidence="授权书 2026-118")
    zhang.refresh_from_db()
    assert zhang.consent_sms is False and not may_contact(zhang, "sms", "service")
    # A back-dated record does not override the newer one, and the cached flag follows the newest.
    consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="service", given=True, how="call",
                   at=timezone.now() - datetime.timedelta(days=30))
    zhang.refresh_from_db()
    assert zhang.consent_sms is False and not may_contact(zhang, "sms", "service")
    entry = AuditEntry.objects.filter(action="client.consent", client=zhang).first()
    assert entry.after["channel"] == "sms" and entry.actor == staff["am1"]


def test_consent_rules_are_the_service_s(staff, book):
    zhang = book["zhang"]
    with pytest.raises(PermissionDenied):  # another manager's client
        consent_record(client=zhang, by=staff["am2"], channel="sms", purpose="service", given=True, how="call")
    with pytest.raises(PermissionDenied):  # marketing reads consent, it does not record it
        consent_record(client=zhang, by=staff["marketing"], channel="sms", purpose="marketing", given=True,
                       how="online")
    with pytest.raises(ValidationError) as err:  # the service desk records what a caller says
        consent_record(client=zhang, by=staff["agent"], channel="sms", purpose="service", given=True, how="paper",
                       evidence="x")
    assert "how" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="service", given=True, how="paper")
    assert "evidence" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="service", given=True, how="call",
                       at=timezone.now() + datetime.timedelta(days=1))
    assert "at" in err.value.message_dict
    with pytest.raises(ValidationError):
        consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="service", given=True,
                       how="migrated")
    agent = consent_record(client=zhang, by=staff["agent"], channel="phone", purpose="marketing", given=False,
                           how="call")
    assert agent.recorded_by == staff["agent"]


@pytest.mark.parametrize("channel", ["sms", "email", "wechat"])
@pytest.mark.parametrize("purpose", ["service", "marketing", "research"])
def test_every_message_checks_its_channel_and_purpose(staff, branches, gateway, channel, purpose):
    """Consent given for exactly one (channel, purpose): only that message goes; the others are refused
    and logged with the reason."""
    client = ClientFactory(branch=branches[0], email="k@example.com", consent_phone=False, consent_sms=False,
                           consent_email=False, consent_wechat=False)
    consent_record(client=client, by=staff["admin"], channel=channel, purpose=purpose, given=True, how="online")
    results = {}
    for ch in ("sms", "email", "wechat"):
        for pu in ("service", "marketing", "research"):
            entry = service_services.message_send(client=client, channel=ch, body="您好", purpose=pu,
                                                  by=staff["admin"])
            results[(ch, pu)] = (entry.result, entry.detail)
    assert results.pop((channel, purpose))[0] == "sent"
    assert {r for r, _d in results.values()} == {"refused"}
    assert all(detail for _r, detail in results.values())  # the reason; its wording: test_refusal_says_why
    assert CommunicationLog.objects.filter(client=client, result="refused").count() == 8
    assert len(gateway) + len(mail.outbox) == 1


def test_refusal_says_why_in_chinese(staff, book, settings):
    from django.utils import translation

    consent_record(client=book["zhang"], by=staff["am1"], channel="sms", purpose="marketing", given=False,
                   how="call")
    with translation.override("zh-hans"):
        entry = service_services.message_send(client=book["zhang"], channel="sms", body="新品推介",
                                              purpose="marketing")
    assert entry.result == "refused" and entry.detail == "无短信的营销同意"


def test_activity_invitations_are_marketing_and_report_pushes_research(staff, branches, gateway):
    template = MessageTemplate.objects.first()
    yes = ClientFactory(branch=branches[0], name="同意营销")
    no = ClientFactory(branch=branches[0], name="拒绝营销")
    consent_record(client=no, by=staff["admin"], channel="sms", purpose="marketing", given=False, how="app")
    consent_record(client=yes, by=staff["admin"], channel="sms", purpose="research", given=True, how="app")
    seminar = Activity.objects.create(kind="seminar", title="套保研讨会", held_on=datetime.date(2027, 1, 5))
    push = Activity.objects.create(kind="report_push", title="早盘研报", held_on=datetime.date(2027, 1, 5))
    for activity in (seminar, push):
        for c in (yes, no):
            ActivityRecipient.objects.create(activity=activity, client=c)
        service_services.activity_invite(activity=activity, by=staff["marketing"], channel="sms", template=template)
    log = {(e.client.name, e.occasion.split(":")[1] == str(push.pk)): e.result
           for e in CommunicationLog.objects.select_related("client")}
    # Without the purpose's consent a recipient is left out of the invitation (refused, with the reason): no
    # message is attempted.
    assert log == {("同意营销", False): "sent", ("同意营销", True): "sent"}
    refused = {(r.activity_id, r.refusal_code, r.refusal_params["purpose"])
               for r in ActivityRecipient.objects.filter(client=no)}
    assert refused == {(seminar.pk, "activity.no_consent", "marketing"), (push.pk, "activity.no_consent", "research")}


def test_care_messages_need_service_consent_not_marketing(staff, branches, gateway):
    client = ClientFactory(branch=branches[0])
    consent_record(client=client, by=staff["admin"], channel="sms", purpose="marketing", given=False, how="app")
    entry = service_services.message_send(client=client, channel="sms", body="追加保证金提醒")
    assert entry.result == "sent"  # a care message is a service message


def test_a_new_client_without_records_is_not_contacted(staff, branches, gateway):
    client = Client.objects.create(account_id="8009990001", name="新户", branch=branches[0])
    assert not any([client.consent_phone, client.consent_sms, client.consent_email, client.consent_wechat])
    entry = service_services.message_send(client=client, channel="sms", body="欢迎开户")
    assert entry.result == "refused" and gateway == []


def test_client_edit_and_api_cannot_set_the_consent_flags(staff, book, api):
    zhang = book["zhang"]
    response = api(staff["am1"]).patch(f"/api/clients/{zhang.pk}/", {"consent_sms": False}, format="json")
    assert response.status_code == 200
    zhang.refresh_from_db()
    assert zhang.consent_sms is True and may_contact(zhang, "sms", "service")
    from clients.services import client_update

    with pytest.raises(ValidationError):
        client_update(client=zhang, by=staff["admin"], consent_sms=False)


def test_client_page_shows_the_history_newest_first_in_chinese(staff, book, page):
    zhang = book["zhang"]
    consent_record(client=zhang, by=staff["am1"], channel="wechat", purpose="research", given=True, how="app",
                   evidence="APP-77", at=datetime.datetime(2026, 3, 1, 9, 30, tzinfo=SH))
    consent_record(client=zhang, by=staff["am1"], channel="sms", purpose="marketing", given=False, how="call",
                   at=datetime.datetime(2026, 5, 2, 14, 0, tzinfo=SH))
    client = page(staff["am1"])
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/clients/{zhang.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    history = html[html.index('id="consent-history"'):]
    history = history[:history.index("</table>")]
    assert history.index("2026-05-02 14:00") < history.index("2026-03-01 09:30")
    for text in ("撤回", "营销", "研究推送", "短信", "APP-77", "王经理", "记录同意"[:2]):
        assert text in history or text in html
    # The form records through the service, and a manager of another book gets a 404.
    response = client.post(f"/privacy/clients/{zhang.pk}/consents/", {
        "channel": "email", "purpose": "service", "given": "0", "how": "paper", "evidence": "", "at": ""})
    assert response.status_code == 200 and "evidence" in response.context["form"].errors
    response = client.post(f"/privacy/clients/{zhang.pk}/consents/", {
        "channel": "email", "purpose": "service", "given": "0", "how": "paper", "evidence": "撤回书 01", "at": ""})
    assert response.status_code == 302 and not may_contact(zhang, "email", "service")
    assert page(staff["am2"]).get(f"/privacy/clients/{zhang.pk}/consents/").status_code == 404


def test_api_lists_and_records_consent_scoped_like_the_client(staff, book, api):
    zhang = book["zhang"]
    url = f"/api/clients/{zhang.pk}/consents/"
    listed = api(staff["am1"]).get(url).json()
    assert len(listed) == 8 and {r["how"] for r in listed} == {"migrated"}
    created = api(staff["am1"]).post(url, {"channel": "app", "purpose": "research", "given": True, "how": "app",
                                          "evidence": "APP-1"}, format="json")
    assert created.status_code == 201 and created.json()["recorded_by"] == "am1"
    assert api(staff["am1"]).get(url).json()[0]["channel"] == "app"
    assert api(staff["am2"]).get(url).status_code == 404
    assert api(staff["am2"]).post(url, {"channel": "sms", "purpose": "service", "given": True, "how": "call"},
                                  format="json").status_code == 404
    assert api(staff["bm_bj"]).get(url).status_code == 404
    assert api(staff["marketing"]).get(url).status_code == 200
    assert api(staff["marketing"]).post(url, {"channel": "sms", "purpose": "service", "given": True,
                                              "how": "call"}, format="json").status_code == 403
    bad = api(staff["am1"]).post(url, {"channel": "fax", "purpose": "service", "given": True, "how": "call"},
                                 format="json")
    assert bad.status_code == 400 and "channel" in bad.json()
