"""The night's texts read as people expect: task titles in the reader's language, a run's figures as a table
under translated labels, who started it as a person or the schedule."""

import datetime

import pytest
from django.test import Client as Browser
from django.urls import reverse

from segmentation import services
from segmentation.models import ClientSegment, SegmentTransition
from service.models import Task
from tests.factories import PASSWORD

from .conftest import weekdays

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)


def page(user, language):
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def test_nightly_task_titles_read_in_the_readers_language(book, staff, api):
    segment = {"as_of": DAY, "purpose": "hedger", "fund_size": "large", "volume": "active", "tenure": "new"}
    ClientSegment.objects.create(client=book["zhang"], churn_score=80, **segment)
    ClientSegment.objects.create(client=book["zhao"], **segment)
    SegmentTransition.objects.create(client=book["zhao"], axis="purpose", from_value="speculator",
                                     to_value="hedger", on_date=DAY, source="rule")
    services.tasks_for_day(DAY, services.current_policy())
    tasks = {t.kind: t for t in Task.objects.all()}
    assert (tasks["retention"].title_code, tasks["retention"].title_params) == ("task.retention", {"score": 80})
    assert tasks["hedging_plan"].title_code == "task.hedging_plan"

    zh = page(staff["am1"], "zh-hans").get(reverse("service:tasks")).content.decode()
    assert "客户挽留：流失风险评分 80" in zh and "为新套保客户制定套期保值方案" in zh
    assert "Retention:" not in zh and "Hedging plan for" not in zh
    en = page(staff["am1"], "en").get(reverse("service:tasks")).content.decode()
    assert "Retention: churn risk score 80" in en and "Hedging plan for a new hedger" in en

    rows = api(staff["am1"]).get("/api/tasks/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert {(r["title"], r["title_code"]) for r in rows} == {
        ("客户挽留：流失风险评分 80", "task.retention"), ("为新套保客户制定套期保值方案", "task.hedging_plan")}


def test_runs_page_shows_figures_as_a_table_and_who_started_each_run(trader, staff, night):
    days = weekdays(64)
    night(days[-2])  # by the schedule
    night(days[-1], by=staff["head"])
    for language, words in [("zh-hans", ["定时任务", "汇总客户日数", "准备当日数据", "写入客户分群数"]),
                            ("en", ["Schedule", "client-days summarised", "Prepare the day",
                                    "client segments written"])]:
        html = page(staff["bm_sh"], language).get(reverse("segmentation:runs")).content.decode()
        runs = html.split('id="runs"', 1)[1]
        assert 'class="grid run-steps"' in runs
        assert "{'" not in runs and "beat" not in runs and "client_days" not in runs
        assert all(word in runs for word in words), language
        assert staff["head"].staff_profile.display_name in runs and "head_u" not in runs
