"""Return visits (回访): scheduled once per client and reason, recorded through one service (the task closes,
problems found go to compliance), the list scoped like clients, the report's counts equal the lists."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from clients.models import Product, SuitabilityAlert
from referrals.models import Intermediary, IntermediaryLink
from service import services
from service.models import ReturnVisit, Task, Ticket
from service.return_visits import return_visit_record, schedule_return_visits
from tests.factories import PASSWORD, ClientFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 27)


def run(day=DAY):
    return schedule_return_visits(day=day)


def reasons(client):
    return sorted(ReturnVisit.objects.filter(client=client).values_list("reason", flat=True))


def browser(user, language="zh-hans"):
    b = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert b.login(username=user.username, password=PASSWORD)
    return b


@pytest.fixture
def old(book):
    """The book's clients opened in 2024: nothing to visit unless a reason is constructed."""
    return book


def test_a_new_account_is_visited_in_its_first_month_once(staff, branches, old):
    new = ClientFactory(name="新开户", branch=branches[0], account_manager=staff["am1"],
                        open_date=DAY - datetime.timedelta(days=5))
    ClientFactory(name="上月开户", branch=branches[0], open_date=DAY - datetime.timedelta(days=40))
    assert run()["return_visits_opened"] == 1
    visit = ReturnVisit.objects.get()
    assert (visit.client, visit.reason, visit.status) == (new, "new_account", "due")
    assert visit.due_on == DAY + datetime.timedelta(days=7)
    task = visit.task
    assert (task.kind, task.owner, task.status, task.title_code) == ("return_visit", staff["am1"], "open",
                                                                    "task.return_visit")
    assert run() == {"return_visits_opened": 0, "return_visits_overdue": 0}
    # Done, it is not scheduled again.
    return_visit_record(visit=visit, by=staff["am1"], channel="phone", questions="开户是否顺利？", answers="顺利")
    assert run()["return_visits_opened"] == 0 and ReturnVisit.objects.count() == 1


def test_a_client_an_intermediary_introduced_gets_its_own_visit_on_the_same_task(staff, branches, old):
    client = ClientFactory(name="居间客户", branch=branches[1], open_date=DAY - datetime.timedelta(days=2))
    ib = Intermediary.objects.create(code="IB01", name="居间甲", rebate_rate=Decimal("0.3000"),
                                     contract_end=datetime.date(2030, 12, 31))
    IntermediaryLink.objects.create(client=client, intermediary=ib, valid_from=client.open_date)
    assert run()["return_visits_opened"] == 2
    assert reasons(client) == ["intermediary", "new_account"]
    # One open task per client: both visits hang on it, unowned (no manager) on the branch worklist.
    task = Task.objects.get(client=client, kind="return_visit")
    assert set(ReturnVisit.objects.values_list("task", flat=True)) == {task.pk}
    assert (task.owner, task.branch) == (None, branches[1])
    assert run()["return_visits_opened"] == 0


def test_an_open_suitability_mismatch_is_visited_once(staff, old):
    zhang = old["zhang"]
    SuitabilityAlert.objects.create(client=zhang, product=Product.objects.get(exchange="CFFEX", code="IF"),
                                    trade_date=DAY, lots=2, client_level="C1", product_level="R4")
    assert run()["return_visits_opened"] == 1
    assert reasons(zhang) == ["suitability"]
    visit = ReturnVisit.objects.get()
    return_visit_record(visit=visit, by=staff["compliance"], channel="phone", questions="是否了解风险？",
                        answers="了解")
    # The alert is still open but was visited since it was raised: nothing new.
    assert run()["return_visits_opened"] == 0


def test_a_closed_complaint_is_visited_once(staff, old):
    zhang = old["zhang"]
    ticket = services.ticket_open(by=staff["agent"], client=zhang, ticket_type="complaint", channel="phone",
                                  subject="手续费争议")
    assert run()["return_visits_opened"] == 0  # not closed yet
    services.ticket_transition(ticket=ticket, to_status="resolved", by=staff["compliance"], note="已退还")
    services.ticket_transition(ticket=ticket, to_status="closed", by=staff["compliance"])
    assert run(ticket.updated_at.date())["return_visits_opened"] == 1
    visit = ReturnVisit.objects.get()
    assert (visit.reason, visit.ticket) == ("complaint", ticket)
    return_visit_record(visit=visit, by=staff["agent"], channel="phone", questions="是否满意？", answers="满意")
    assert run(ticket.updated_at.date())["return_visits_opened"] == 0


def test_a_visit_past_its_due_date_becomes_overdue(staff, old):
    ReturnVisit.objects.create(client=old["zhang"], reason="other", due_on=DAY - datetime.timedelta(days=1))
    ReturnVisit.objects.create(client=old["zhao"], reason="other", due_on=DAY)
    assert run()["return_visits_overdue"] == 1
    assert dict(ReturnVisit.objects.values_list("client__name", "status")) == {"张三": "overdue", "赵敏": "due"}


def _visit_with_task(client):
    run_day = DAY
    client.open_date = run_day
    client.save(update_fields=["open_date"])
    run(run_day)
    return ReturnVisit.objects.get(client=client)


def test_recording_completes_the_task_and_problems_go_to_compliance(staff, old):
    visit = _visit_with_task(old["zhang"])
    with pytest.raises(ValidationError):
        return_visit_record(visit=visit, by=staff["am1"], channel="phone", questions="q", answers="a",
                            problems=["other"])
    with translation.override("zh-hans"):  # as on the page the manager reads in Chinese
        done = return_visit_record(visit=visit, by=staff["am1"], channel="phone", questions="居间人是否承诺收益？",
                                   answers="承诺月收益 10%", problems=["profit_promise", "lower_margin"])
    assert (done.status, done.done_by, done.problems) == ("done", staff["am1"], ["profit_promise", "lower_margin"])
    assert Task.objects.get(pk=visit.task_id).status == "done"
    ticket = done.compliance_ticket
    assert (ticket.ticket_type, ticket.queue, ticket.priority, ticket.client) == ("complaint", "compliance", "high",
                                                                                   old["zhang"])
    assert "承诺收益" in ticket.subject and "承诺月收益 10%" in ticket.description
    with pytest.raises(ValidationError):  # done once
        return_visit_record(visit=visit, by=staff["am1"], channel="phone", questions="q", answers="a")


def test_a_visit_without_problems_raises_nothing(staff, old):
    visit = _visit_with_task(old["zhao"])
    return_visit_record(visit=visit, by=staff["agent"], channel="face_to_face", questions="q", answers="a")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("who", "allowed"), [
    ("am1", True), ("agent", True), ("compliance", True), ("admin", True),
    ("am2", False), ("bm_sh", False), ("marketing", False), ("head", False), ("backoffice", False)])
def test_who_may_record_a_visit_of_zhang(staff, old, who, allowed):
    visit = ReturnVisit.objects.create(client=old["zhang"], reason="other", due_on=DAY)
    data = {"channel": "phone", "questions": "q", "answers": "a", "notes": ""}
    if who != "backoffice":
        response = browser(staff[who]).post(reverse("service:return_visit_record", args=[visit.pk]), data)
        assert response.status_code == (302 if allowed else 403 if who != "am2" else 404)
        assert ReturnVisit.objects.get(pk=visit.pk).status == ("done" if allowed else "due")
    if not allowed:
        with pytest.raises(PermissionDenied):
            return_visit_record(visit=visit, by=staff[who], channel="phone", questions="q", answers="a")


def test_the_list_is_scoped_like_clients(staff, old):
    for client in old.values():
        ReturnVisit.objects.create(client=client, reason="other", due_on=DAY)
    html = browser(staff["am1"]).get(reverse("service:return_visits")).content.decode()
    assert "张三" in html and "赵敏" in html and "李四" not in html and "王五" not in html
    assert browser(staff["admin"]).get(reverse("service:return_visits")).context["paginator"].count == 4


def test_the_reports_counts_equal_the_lists(staff, old):
    statuses = {"zhang": "due", "zhao": "done", "li": "overdue", "wang": "overdue"}
    for name, status in statuses.items():
        ReturnVisit.objects.create(client=old[name], reason="other", due_on=DAY, status=status)
    ReturnVisit.objects.create(client=old["zhang"], reason="new_account", due_on=DAY, status="overdue")
    for who in ("admin", "am1"):
        b = browser(staff[who])
        response = b.get(reverse("service:return_visit_report"), {"due_from": DAY.isoformat()})
        assert response.status_code == 200
        total = 0
        for row in response.context["rows"]:
            for cell in row["cells"]:
                listed = b.get(cell["url"]).context["paginator"].count
                assert listed == cell["n"], (who, row["code"], cell)
                total += cell["n"]
        assert total == (5 if who == "admin" else 3)


def test_the_pages_read_in_chinese(staff, old):
    visit = ReturnVisit.objects.create(client=old["zhang"], reason="intermediary", due_on=DAY)
    b = browser(staff["am1"])
    html = b.get(reverse("service:return_visits")).content.decode()
    assert "回访" in html and "居间人客户回访" in html and "记录回访" in html
    assert "按营业部统计" in b.get(reverse("service:return_visit_report")).content.decode()
    form = b.get(reverse("service:return_visit_record", args=[visit.pk])).content.decode()
    assert "承诺收益" in form and "要求透支" in form and "要求降低保证金" in form


def test_the_client_page_lists_its_visits_in_chinese_with_a_link_to_record_a_due_one(staff, old):
    zhang = old["zhang"]
    due = ReturnVisit.objects.create(client=zhang, reason="intermediary", due_on=DAY)
    overdue = ReturnVisit.objects.create(client=zhang, reason="new_account", status="overdue",
                                         due_on=DAY - datetime.timedelta(days=9))
    done = ReturnVisit.objects.create(client=zhang, reason="complaint", due_on=DAY - datetime.timedelta(days=20))
    done = return_visit_record(visit=done, by=staff["am1"], channel="phone", questions="q", answers="a",
                               problems=["profit_promise"])
    ReturnVisit.objects.create(client=old["li"], reason="suitability", due_on=DAY)  # another client's
    html = browser(staff["am1"]).get(reverse("clients:detail", args=[zhang.pk])).content.decode()
    panel = html[html.index('id="client-return-visits"'):]
    panel = panel[:panel.index("</ul>")]
    for words in ("居间人客户回访", "待回访", "2026-11-27", "已逾期", "新开户", "已回访", "承诺收益",
                  staff["am1"].staff_profile.display_name, f"#{done.compliance_ticket_id}"):
        assert words in panel, words
    assert "适当性" not in panel and "高风险" not in panel  # li's visit stays on li's page
    for visit in (due, overdue):
        assert reverse("service:return_visit_record", args=[visit.pk]) in panel
    assert reverse("service:return_visit_record", args=[done.pk]) not in panel
    # A branch manager sees the visits of its branch's client but may not record them; another manager sees no page.
    branch = browser(staff["bm_sh"]).get(reverse("clients:detail", args=[zhang.pk])).content.decode()
    assert "居间人客户回访" in branch and reverse("service:return_visit_record", args=[due.pk]) not in branch
    assert browser(staff["am2"]).get(reverse("clients:detail", args=[zhang.pk])).status_code == 404
