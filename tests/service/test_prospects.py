"""Prospects: grades with history, visit log, conversion that keeps history and the referral."""

import pytest

from futures_crm.models import AuditEntry
from service import services
from service.models import Task
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_conversion_keeps_history_and_referral(staff, book, branches):
    prospect = services.prospect_create(by=staff["am1"], name="钱七", source="referral", grade="D",
                                        phone="13500001234", referrer=book["zhang"], intermediary_code="JJ001")
    services.prospect_visit_add(prospect=prospect, by=staff["am1"], said="Explained margin trading", place="茶馆",
                                impression="Cautious", failure_reason="", service_given="Research report",
                                assessment="Will open after bonus")
    services.prospect_grade(prospect=prospect, by=staff["am1"], grade="B", reason="Funds arriving")
    services.prospect_grade(prospect=prospect, by=staff["am1"], grade="A", reason="Ready")
    services.task_upsert(client=None, prospect=prospect, kind="call_back", due_on="2026-12-01", owner=staff["am1"])
    client = ClientFactory(name="钱七", branch=branches[0], account_manager=staff["am1"])

    services.prospect_convert(prospect=prospect, client=client, by=staff["am1"])

    prospect.refresh_from_db()
    client.refresh_from_db()
    assert prospect.client == client and prospect.converted_at is not None
    assert client.referrer == book["zhang"] and client.intermediary_code == "JJ001"
    assert [(g.from_grade, g.to_grade) for g in prospect.grade_changes.order_by("at", "id")] == [
        ("", "D"), ("D", "B"), ("B", "A")]
    assert prospect.visits.get().said == "Explained margin trading"
    assert Task.objects.get(prospect=prospect).client == client
    assert AuditEntry.objects.filter(action="prospect.convert", client=client).exists()
    html_page = client.prospect  # reverse one-to-one
    assert html_page == prospect


def test_prospect_pages_and_scope(page, api, staff):
    mine = services.prospect_create(by=staff["am1"], name="甲", source="staff")
    theirs = services.prospect_create(by=staff["am2"], name="乙", source="marketing")
    assert {p["name"] for p in api(staff["am1"]).get("/api/prospects/").json()["results"]} == {"甲"}
    assert {p["name"] for p in api(staff["bm_sh"]).get("/api/prospects/").json()["results"]} == {"甲", "乙"}
    assert page(staff["am1"]).get(f"/service/prospects/{theirs.pk}/").status_code == 404
    browser = page(staff["am1"])
    browser.post(f"/service/prospects/{mine.pk}/", {"action": "visit", "said": "First call", "place": "电话"})
    browser.post(f"/service/prospects/{mine.pk}/", {"action": "grade", "grade": "C", "reason": "Blocked"})
    html = browser.get(f"/service/prospects/{mine.pk}/").content.decode()
    assert "First call" in html and "Blocked" in html
    mine.refresh_from_db()
    assert mine.grade == "C"


def test_conversion_refuses_twice(staff, branches):
    prospect = services.prospect_create(by=staff["am1"], name="丙", source="staff")
    client = ClientFactory(branch=branches[0])
    services.prospect_convert(prospect=prospect, client=client, by=staff["am1"])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.prospect_convert(prospect=prospect, client=client, by=staff["am1"])
