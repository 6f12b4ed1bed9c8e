"""Activities target clients by the client-list filters (plus product traded) and record responses."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from segmentation.models import ClientSegment
from service import services
from service.models import ActivityRecipient

from .helpers import trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def seminar(staff):
    return services.activity_create(by=staff["marketing"], kind="seminar", title="螺纹钢套保讲座",
                                    held_on=datetime.date(2026, 12, 12), place="上海", cost=Decimal("3500.50"))


def names(activity):
    return set(activity.recipients.values_list("client__name", flat=True))


def test_target_by_branch_and_manager(staff, book, branches, seminar):
    filters = {"branch": str(branches[0].pk), "account_manager": str(staff["am1"].pk)}
    assert services.activity_target(activity=seminar, by=staff["marketing"], filters=filters) == 2
    assert names(seminar) == {"张三", "赵敏"}
    # Adding again is idempotent; a second filter adds the rest.
    assert services.activity_target(activity=seminar, by=staff["marketing"],
                                    filters={"branch": str(branches[0].pk)}) == 1
    assert names(seminar) == {"张三", "赵敏", "李四"}
    seminar.refresh_from_db()
    assert seminar.target_filters == {"branch": str(branches[0].pk)} and seminar.cost == Decimal("3500.50")


def test_target_by_segment_and_product(staff, book, seminar):
    ClientSegment.objects.create(client=book["li"], as_of=datetime.date(2026, 11, 23), purpose="hedger",
                                 fund_size="large", volume="key_service", tenure="old")
    trade(book["wang"], datetime.date(2026, 11, 20), "rb")
    trade(book["zhang"], datetime.date(2026, 11, 20), "cu")
    services.activity_target(activity=seminar, by=staff["marketing"], filters={"purpose": "hedger"})
    assert names(seminar) == {"李四"}
    services.activity_target(activity=seminar, by=staff["marketing"], filters={"product": "rb"})
    assert names(seminar) == {"李四", "王五"}


def test_invalid_filter_is_refused_not_everyone(staff, book, seminar):
    with pytest.raises(ValidationError):
        services.activity_target(activity=seminar, by=staff["marketing"], filters={"client_type": "martian"})
    assert not seminar.recipients.exists()


def test_branch_manager_targets_only_their_branch(staff, book, seminar):
    services.activity_target(activity=seminar, by=staff["bm_bj"], filters={})
    assert names(seminar) == {"王五"}


def test_invitation_attendance_and_response_on_the_client_page(page, staff, book, seminar):
    services.activity_target(activity=seminar, by=staff["marketing"], filters={"account_manager": str(staff["am1"].pk)})
    services.activity_invite(activity=seminar, by=staff["marketing"])
    assert set(seminar.recipients.values_list("status", flat=True)) == {"invited"}
    recipient = ActivityRecipient.objects.get(activity=seminar, client=book["zhang"])
    browser = page(staff["am1"])
    browser.post(f"/service/activities/{seminar.pk}/", {"action": "recipient", "recipient": recipient.pk,
                                                        "status": "attended", "response": "想了解套保方案"})
    recipient.refresh_from_db()
    assert (recipient.status, recipient.response) == ("attended", "想了解套保方案")
    html = browser.get(f"/clients/{book['zhang'].pk}/").content.decode()
    assert "螺纹钢套保讲座" in html and "想了解套保方案" in html


def test_target_page_and_api(page, api, staff, book, branches, seminar):
    page(staff["marketing"]).post(f"/service/activities/{seminar.pk}/",
                                  {"action": "target", "client_type": "individual", "branch": branches[1].pk})
    assert names(seminar) == {"王五"}
    response = api(staff["marketing"]).post(f"/api/activities/{seminar.pk}/target/", {"q": "张三"}, format="json")
    assert response.json() == {"added": 1}
    rows = api(staff["am2"]).get(f"/api/activities/{seminar.pk}/recipients/").json()["results"]
    assert rows == []  # am2's only client is not a recipient, and the others are not theirs
    assert api(staff["am1"]).post(f"/api/activities/{seminar.pk}/target/", {}, format="json").status_code == 403


def test_target_answers_bad_input_with_a_400(page, api, staff, book, seminar):
    """Found by schemathesis: a body that is not an object, and a NUL byte in the product (a DataError)."""
    client = api(staff["marketing"])
    url = f"/api/activities/{seminar.pk}/target/"
    for body in ([], True, "rb"):
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and "non_field_errors" in response.json(), body
    response = client.post(url, {"product": "rb\x00"}, format="json")
    assert response.status_code == 400 and response.json()["product"] == ["Null characters are not allowed."]
    r = page(staff["marketing"]).post(f"/service/activities/{seminar.pk}/", {"action": "target", "product": "cu\x00"},
                                      follow=True)
    assert r.status_code == 200 and "Null characters are not allowed." in r.content.decode()
    assert not seminar.recipients.exists()
