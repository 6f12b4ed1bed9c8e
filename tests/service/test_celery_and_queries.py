"""The beat tasks run on a real worker; list endpoints keep a fixed number of queries."""

import datetime

import pytest
from django.conf import settings

from service import services
from service.models import Notification, Task
from tests.factories import ClientFactory

from .conftest import at


def test_beat_schedule_names_the_service_tasks():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"service.tasks.escalate_overdue_tickets", "service.tasks.care_run_today"} <= tasks


@pytest.mark.celery
def test_escalation_and_care_on_a_real_worker(celery_worker_live, staff, book):
    from service.tasks import care_run_today, escalate_overdue_tickets

    services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint", channel="phone",
                         subject="Unanswered", opened_at=at(2026, 11, 2, 10, 0))
    assert escalate_overdue_tickets.delay("2026-11-20T10:00:00+08:00").get(timeout=30) == 1
    assert Notification.objects.filter(recipient=staff["bm_sh"]).count() == 1
    ClientFactory(name="生日客户", branch=book["zhang"].branch, birthday=datetime.date(1980, 12, 8))
    result = care_run_today.delay("2026-12-05").get(timeout=30)
    assert result["birthday"]["tasks"] == 1
    assert Task.objects.filter(client__name="生日客户", kind="care").count() == 1


@pytest.mark.django_db
def test_list_endpoints_query_counts(api, staff, book, django_assert_max_num_queries):
    for key in ("zhang", "zhao", "li"):
        services.task_upsert(client=book[key], kind="retention", due_on=datetime.date(2026, 12, 1))
        services.ticket_open(by=staff["agent"], client=book[key], ticket_type="suggestion", channel="web",
                             subject=f"s {key}")
        services.prospect_create(by=staff["am1"], name=f"p {key}", source="staff")
    client = api(staff["admin"])
    for url in ("/api/tasks/", "/api/tickets/", "/api/prospects/", "/api/communications/", "/api/surveys/"):
        client.get(url)  # warm the auth/session caches
        with django_assert_max_num_queries(6):
            assert client.get(url).status_code == 200
