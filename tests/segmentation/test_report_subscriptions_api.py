"""The scheduled-reports API: a caller lists, subscribes, changes and ends only their own subscriptions, through
the page's services and rules (a dashboard they may see); bad input is a 400 naming the field; the sends of a
subscription are its history."""

import datetime

import pytest
from django.core import mail

from segmentation import reports
from segmentation.models import ReportSend, ReportSubscription
from tests.segmentation.test_reports import segmented  # noqa: F401 - the dashboard a report is made of

pytestmark = pytest.mark.django_db
URL = "/api/report-subscriptions/"


def test_subscribe_list_change_and_end_ones_own_subscription(staff, branches, api):
    bm = api(staff["bm_sh"])
    created = bm.post(URL, {"scope": f"branch:{branches[0].pk}", "frequency": "weekly", "format": "pdf",
                            "language": "zh-hans"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["scope"], body["frequency"], body["format"], body["language"]) == (
        f"branch:{branches[0].pk}", "weekly", "pdf", "zh-hans")
    assert body["scope_label"] == str(branches[0])
    assert [s["id"] for s in bm.get(URL).json()] == [body["id"]]
    changed = bm.patch(f"{URL}{body['id']}/", {"format": "xlsx"}, format="json")
    assert changed.status_code == 200 and changed.json()["format"] == "xlsx"
    assert ReportSubscription.objects.get(pk=body["id"]).format == "xlsx"
    # The page shows the same subscription.
    page = reports.subscriptions_of(staff["bm_sh"])
    assert [(s.pk, s.format) for s in page] == [(body["id"], "xlsx")]
    assert bm.delete(f"{URL}{body['id']}/").status_code == 204
    assert bm.get(URL).json() == []
    assert ReportSubscription.objects.get(pk=body["id"]).active is False  # ended, kept with its sends


def test_the_language_defaults_to_the_requests(staff, api):
    client = api(staff["am1"])
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    r = client.post(URL, {"scope": f"manager:{staff['am1'].pk}", "frequency": "monthly", "format": "xlsx"},
                    format="json")
    assert r.status_code == 201 and r.json()["language"] == "zh-hans" and r.json()["scope_label"]


@pytest.mark.parametrize(("body", "field"), [
    ({"scope": "planet:1", "frequency": "weekly", "format": "pdf"}, "scope"),
    ({"scope": "firm", "frequency": "hourly", "format": "pdf"}, "frequency"),
    ({"scope": "firm", "frequency": "weekly", "format": "docx"}, "format"),
    ({"frequency": "weekly", "format": "pdf"}, "scope"),
    ({"scope": "branch:{bj}", "frequency": "weekly", "format": "pdf"}, "scope"),  # a dashboard not theirs
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(staff, branches, api, body, field):
    body = {k: v.format(bj=branches[1].pk) for k, v in body.items()}
    r = api(staff["bm_sh"]).post(URL, body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert not ReportSubscription.objects.exists()


def test_patch_refuses_what_it_does_not_change_and_bad_values(staff, api):
    sub = reports.report_subscribe(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly",
                                   fmt="pdf", language="en")
    client = api(staff["am1"])
    for body, field in (({"frequency": "monthly"}, "frequency"), ({"scope": "firm"}, "scope"),
                        ({"format": "docx"}, "format"), ({"language": "fr"}, "language")):
        r = client.patch(f"{URL}{sub.pk}/", body, format="json")
        assert r.status_code == 400 and field in r.json(), (body, r.content)
    sub.refresh_from_db()
    assert (sub.frequency, sub.format, sub.language) == ("weekly", "pdf", "en")


def test_another_users_subscription_is_not_found_and_stays(staff, api):
    sub = reports.report_subscribe(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly",
                                   fmt="pdf", language="en")
    for who in ("am2", "bm_sh", "head"):
        client = api(staff[who])
        assert client.get(URL).json() == []
        assert client.get(f"{URL}{sub.pk}/").status_code == 404
        assert client.patch(f"{URL}{sub.pk}/", {"format": "xlsx"}, format="json").status_code == 404
        assert client.delete(f"{URL}{sub.pk}/").status_code == 404
        assert client.get(f"{URL}{sub.pk}/sends/").status_code == 404
    sub.refresh_from_db()
    assert sub.active and sub.format == "pdf"


@pytest.mark.parametrize("who", ["agent", "backoffice"])
def test_roles_without_a_dashboard_have_no_subscriptions(staff, api, who):
    assert api(staff[who]).get(URL).status_code == 403
    assert api(staff[who]).post(URL, {"scope": "firm", "frequency": "weekly", "format": "pdf"},
                                format="json").status_code == 403


@pytest.mark.usefixtures("segmented")
def test_the_sends_are_the_subscriptions_history(staff, api):
    staff["am1"].email = "am1@example.com"
    staff["am1"].save(update_fields=["email"])
    sub = reports.report_subscribe(by=staff["am1"], scope=f"manager:{staff['am1'].pk}", frequency="weekly",
                                   fmt="xlsx", language="en")
    mail.outbox.clear()
    assert reports.send_due_reports(datetime.date(2026, 11, 30))["sent"] == 1
    sends = api(staff["am1"]).get(f"{URL}{sub.pk}/sends/").json()
    assert [(s["period_start"], s["recipient"]) for s in sends] == [("2026-11-30", "am1@example.com")]
    assert ReportSend.objects.filter(subscription=sub).count() == 1
