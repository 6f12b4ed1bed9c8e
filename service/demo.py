"""The demo brokerage's service desk: tickets, surveys, prospects, activities, care messages and the day's tasks.

Steps of `manage.py demo_data` (the book and its conventions: clients.demo). Each takes the `DemoBook`,
draws from its `rng` and writes through this app's services, so routing, deadlines, escalation, consent
and the audit trail work as they would for people; deterministic for a seed and a reference day. They
run before the nightly engine, which reads the surveys (loyalty) and the overdue complaints (churn).
"""

import contextlib
import datetime
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from clients.choices import AccountStatus, ClientType, ContactChannel
from clients.demo import DemoBook, person_name, phone_number, weighted
from clients.models import Client, SuitabilityAssessment
from futures_crm import texts

from . import services
from .choices import (
    ActivityKind,
    Priority,
    ProspectGrade,
    ProspectSource,
    RecipientStatus,
    TaskKind,
    TaskStatus,
    TicketStatus,
    TicketType,
)
from .models import MessageTemplate, Task, Ticket

DAY = datetime.timedelta(days=1)

SUBJECTS = {
    TicketType.TRADING_CONSULTATION: [
        "咨询保证金比例调整", "咨询交割流程与费用", "咨询期转现手续", "咨询开通中金所股指期货权限", "咨询夜盘交易时间",
    ],
    TicketType.MARKET_CONSULTATION: [
        "咨询铜价后市观点", "询问豆粕供需报告", "询问原油月度策略", "咨询螺纹钢季节性规律",
    ],
    TicketType.COMPLAINT: ["交易软件卡顿导致无法及时平仓", "手续费收取与开户时约定不符", "客户经理长期联系不上",
                           "出金到账延迟"],
    TicketType.ACCOUNT_CHANGE: ["变更绑定银行卡", "修改预留联系电话", "申请开通期权交易权限", "更新身份证有效期"],
    TicketType.SUGGESTION: ["建议增加夜盘研报推送", "建议优化手机端行情页面", "建议营业部增加周末投资者教育活动"],
}
TYPE_WEIGHTS = [(TicketType.TRADING_CONSULTATION, 35), (TicketType.MARKET_CONSULTATION, 20),
                (TicketType.COMPLAINT, 12), (TicketType.ACCOUNT_CHANGE, 20), (TicketType.SUGGESTION, 13)]
CHANNEL_WEIGHTS = [(ContactChannel.PHONE, 60), (ContactChannel.WECHAT, 15), (ContactChannel.WEB, 10),
                   (ContactChannel.EMAIL, 5), (ContactChannel.FACE_TO_FACE, 10)]
PRIORITY_WEIGHTS = [(Priority.LOW, 15), (Priority.NORMAL, 60), (Priority.HIGH, 20), (Priority.URGENT, 5)]
# Most tickets are settled; the open ones are recent (a few overdue, which escalation then flags).
STATUS_WEIGHTS = [(TicketStatus.NEW, 10), (TicketStatus.IN_PROGRESS, 12), (TicketStatus.WAITING, 8),
                  (TicketStatus.RESOLVED, 25), (TicketStatus.CLOSED, 45)]
RESOLUTIONS = ["已电话解释并发送说明材料，客户表示理解。", "已按客户要求办理完毕。", "已转研究所分析师回电解答。",
               "技术部已修复，客户确认恢复正常。", "已核对并退还多收费用。"]
NOTES = ["已回电，客户稍后提供补充材料。", "等待客户确认办理时间。", "已联系相关部门核实。"]

SATISFACTION_WEIGHTS = [(10, 20), (9, 25), (8, 25), (7, 12), (6, 8), (5, 5), (3, 3), (2, 2)]
ELSEWHERE_WEIGHTS = [(False, 65), (True, 25), (None, 10)]
SUGGESTIONS = ["", "", "", "希望增加研究报告的推送频率", "希望手续费能再优惠一些", "希望多举办线下策略会",
               "交易软件夜盘偶尔卡顿", "客户经理服务很周到"]

PROSPECT_SOURCE = {"A": ProspectSource.REFERRAL, "B": ProspectSource.STAFF, "C": ProspectSource.INTERMEDIARY,
                   "D": ProspectSource.MARKETING, "E": ProspectSource.EVENT, "F": ProspectSource.RESEARCH}
PROSPECT_NOTES = {
    "A": "资金已到位，约定本周到营业部办理开户。", "B": "有意向，待年底奖金到账后开户。",
    "C": "有开户意向，目前所在单位限制从事期货交易。", "D": "对套期保值感兴趣，但企业资金周转紧张。",
    "E": "对期货了解不多，需要先参加投资者教育。", "F": "只是了解行情，一年内开户可能性不大。",
}
VISIT_SAID = [
    "介绍了公司的研究服务和手续费标准。", "讲解了保证金制度和每日无负债结算。", "演示了交易软件和风险控制功能。",
    "讨论了企业套期保值方案的思路。", "邀请参加本月的策略会。",
]
VISIT_PLACES = ["营业部", "客户公司", "茶室", "电话", "策略会现场"]
IMPRESSIONS = ["态度积极，问了很多细节", "比较谨慎，关注风险", "对收益预期偏高，需要引导", "专业背景强，交流顺畅"]

# (username, task kind, title, due in days from the reference day) of each role's own task for the day.
ROLE_TASKS = [
    ("admin", TaskKind.COMPLETE_PROFILE, "补全客户档案：缺少联系电话或证件信息", 0),
    ("head", TaskKind.CALL_BACK, "总部走访重点客户，了解年度套保需求", 1),
    ("branch_sh01", TaskKind.CALL_BACK, "为无客户经理的客户指定经理并回访", 0),
    ("manager", TaskKind.CALL_BACK, "回电：客户询问保证金调整", -1),
    ("service", TaskKind.CALL_BACK, "回电：来电客户咨询出金到账时间", 0),
    ("marketing", TaskKind.CALL_BACK, "策略会后回访：收集客户意见", 1),
    ("compliance", TaskKind.SUITABILITY_RENEWAL, "适当性评估已过期，安排客户重新测评", 0),
]


@contextlib.contextmanager
def _quiet_messages():
    """The demo's SMS go to the communications log; the log backend need not echo each one."""
    logger = logging.getLogger("service.messaging")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _open_clients(book: DemoBook) -> list[Client]:
    return [c for c in book.clients if c.status != AccountStatus.CLOSED and c.close_date is None]


def _trading_day(book: DemoBook, back: int) -> datetime.date:
    """The trading day `back` days before the last one of the history (weekdays when there is none)."""
    if book.days:
        return book.days[max(0, len(book.days) - 1 - back)]
    day = book.today
    while back or day.weekday() >= 5:
        if day.weekday() < 5:
            back -= 1
        day -= DAY
    return day


def _walk(ticket: Ticket, to: str, by, rng) -> Ticket:
    """Move a new ticket along the desk's usual path to `to`, with the notes a person would leave."""
    if to == TicketStatus.NEW:
        return ticket
    ticket = services.ticket_transition(ticket=ticket, to_status=TicketStatus.IN_PROGRESS, by=by)
    if to == TicketStatus.WAITING:
        services.ticket_comment(ticket=ticket, by=by, text=rng.choice(NOTES))
        return services.ticket_transition(ticket=ticket, to_status=TicketStatus.WAITING, by=by)
    if to in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        services.ticket_comment(ticket=ticket, by=by, text=rng.choice(RESOLUTIONS), reply=True)
        ticket = services.ticket_transition(ticket=ticket, to_status=TicketStatus.RESOLVED, by=by,
                                            note=rng.choice(RESOLUTIONS))
        if rng.random() < 0.8:
            services.ticket_record_satisfaction(ticket=ticket, by=by, score=weighted(rng, SATISFACTION_WEIGHTS))
        if to == TicketStatus.CLOSED:
            ticket = services.ticket_transition(ticket=ticket, to_status=TicketStatus.CLOSED, by=by)
    return ticket


def make_tickets(book: DemoBook) -> int:
    """Tickets of every type in every state; clients who blew up complain, and their complaint is overdue."""
    rng = book.rng
    clients = _open_clients(book)
    count = max(10, min(len(book.clients) // 8, 400))
    statuses = [s for s, _w in STATUS_WEIGHTS] + [weighted(rng, STATUS_WEIGHTS) for _ in range(count - 5)]
    for status in statuses:
        ticket_type = weighted(rng, TYPE_WEIGHTS)
        agent = rng.choice(book.agents)
        client = rng.choice(clients) if rng.random() < 0.9 and clients else None
        if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            opened = book.at(_trading_day(book, rng.randrange(2, 40)), rng.randrange(9, 15), rng.randrange(60))
        elif rng.random() < 0.15:  # left too long: past its deadline
            opened = book.at(_trading_day(book, rng.randrange(3, 8)), rng.randrange(9, 15), rng.randrange(60))
        else:
            opened = book.now - datetime.timedelta(minutes=rng.randrange(5, 240))
        ticket = services.ticket_open(
            by=agent, ticket_type=ticket_type, channel=weighted(rng, CHANNEL_WEIGHTS),
            subject=rng.choice(SUBJECTS[ticket_type]), priority=weighted(rng, PRIORITY_WEIGHTS), client=client,
            caller_phone="" if client else phone_number(rng), opened_at=opened,
            description="客户来电，已记录诉求。" if client else "未识别来电，已记录号码待核实身份。")
        worker = ticket.owner or (book.users["compliance"] if ticket_type == TicketType.COMPLAINT else agent)
        _walk(ticket, status, worker, rng)
    # The clients who lost heavily complain that nobody warned them; nobody has answered in time.
    for account_id, story in sorted(book.stories.items()):
        if story != "blowup":
            continue
        client = next(c for c in book.clients if c.account_id == account_id)
        ticket = services.ticket_open(
            by=rng.choice(book.agents), ticket_type=TicketType.COMPLAINT, channel=ContactChannel.PHONE,
            subject="大幅亏损后投诉客户经理未及时提示风险", client=client, priority=Priority.HIGH,
            description="客户近期连续大额亏损，情绪激动，认为客户经理未及时提示追加保证金风险，要求给出说明。",
            opened_at=book.at(_trading_day(book, 4), 10, 30))
        _walk(ticket, TicketStatus.IN_PROGRESS, book.users["compliance"], rng)
    escalated = services.tickets_escalate_overdue(at=book.now)
    return count + escalated


def _survey_clients(book: DemoBook) -> list[Client]:
    # The long-standing clients who brought others are the firm's champions: they answer first and gladly.
    first = book.days[0] if book.days else book.today
    long_ago = first.replace(year=first.year - 3) - 30 * DAY if (first.month, first.day) != (2, 29) \
        else first - (3 * 365 + 31) * DAY
    referrers = {c.referrer_id for c in book.clients if c.referrer_id}
    return sorted((c for c in _open_clients(book) if c.open_date < long_ago and c.pk in referrers),
                  key=lambda c: c.account_id)[:2]


def make_surveys(book: DemoBook) -> int:
    """The yearly satisfaction survey (an activity) before the history starts, plus a few recent answers."""
    rng, today, by = book.rng, book.today, book.users["marketing"]
    first = book.days[0] if book.days else today
    held = first - 20 * DAY
    survey = services.activity_create(
        by=by, kind=ActivityKind.SURVEY, title="年度客户满意度调查", held_on=held, cost=Decimal("3000.00"),
        description="电话与线上问卷：满意度、是否在其他公司交易、建议。")
    services.activity_target(activity=survey, by=by, filters={"status": AccountStatus.ACTIVE})
    services.activity_invite(activity=survey, by=by)
    champions = _survey_clients(book)
    answering = [c for c in _open_clients(book) if c.status == AccountStatus.ACTIVE and c not in champions]
    answering = rng.sample(answering, min(len(answering), max(5, min(len(book.clients) * 3 // 10, 1500))))
    answered = 0
    for client in champions + sorted(answering, key=lambda c: c.account_id):
        champion = client in champions
        services.survey_record(
            client=client, by=client.account_manager or rng.choice(book.agents), activity=survey,
            answered_on=held + rng.randrange(0, 15) * DAY,
            satisfaction=10 if champion else weighted(rng, SATISFACTION_WEIGHTS),
            trades_elsewhere=False if champion else weighted(rng, ELSEWHERE_WEIGHTS),
            suggestion="" if champion else rng.choice(SUGGESTIONS),
            comments="非常满意，已推荐朋友来开户。" if champion else "")
        answered += 1
    # After-service surveys inside the history: the latest answer is the one loyalty reads.
    for client in rng.sample(answering, min(len(answering), max(2, len(answering) // 10))):
        services.survey_record(client=client, by=rng.choice(book.agents),
                               answered_on=min(today, rng.choice(book.days or [today]) + rng.randrange(0, 3) * DAY),
                               satisfaction=weighted(rng, SATISFACTION_WEIGHTS),
                               trades_elsewhere=weighted(rng, ELSEWHERE_WEIGHTS), suggestion=rng.choice(SUGGESTIONS))
        answered += 1
    return answered


def make_prospects(book: DemoBook) -> int:
    """Prospects of every grade with their visits; the demo manager owns a share; one opened an account."""
    rng, today = book.rng, book.today
    count = max(12, min(len(book.clients) // 15, 300))
    grades = list(ProspectGrade.values) + [rng.choice(ProspectGrade.values) for _ in range(count - 6)]
    manager, marketing = book.users["manager"], book.users["marketing"]
    referrers = [c for c in _open_clients(book) if c.status == AccountStatus.ACTIVE]
    for i, grade in enumerate(grades):
        source = PROSPECT_SOURCE[grade] if i < 6 else rng.choice(ProspectSource.values)
        owner = marketing if source in (ProspectSource.MARKETING, ProspectSource.EVENT) and i % 2 else (
            manager if i % 3 == 0 else rng.choice(book.managers))
        first_grade = rng.choice("DEF") if grade in "AB" else grade
        prospect = services.prospect_create(
            by=owner, name=person_name(rng), source=source, grade=first_grade, owner=owner, phone=phone_number(rng),
            referrer=rng.choice(referrers) if source == ProspectSource.REFERRAL and referrers else None,
            intermediary_code=rng.choice(book.intermediaries).code
            if source == ProspectSource.INTERMEDIARY and book.intermediaries else "",
            notes=PROSPECT_NOTES[grade])
        visits = sorted(rng.sample(range(1, 90), rng.randint(1, 3)), reverse=True)
        for days_ago in visits:
            failed = rng.random() < 0.15
            services.prospect_visit_add(
                prospect=prospect, by=owner, at=book.at(today - days_ago * DAY, rng.randrange(9, 19)),
                place=rng.choice(VISIT_PLACES), said="客户临时有事，改约下周。" if failed else rng.choice(VISIT_SAID),
                impression=rng.choice(IMPRESSIONS), failure_reason="客户临时取消会面" if failed else "",
                service_given="寄送了研究报告和开户指南", assessment=PROSPECT_NOTES[grade])
        if grade != first_grade:
            services.prospect_grade(prospect=prospect, by=owner, grade=grade, reason="多次沟通后意向明确")
        if grade in "ABC":
            services.task_upsert(client=None, prospect=prospect, kind=TaskKind.CALL_BACK, owner=owner,
                                 due_on=today + rng.randrange(0, 3) * DAY, title="跟进准客户开户意向", source="demo")
    # The demo manager's newest client was a prospect the manager followed until it opened its account.
    opened = sorted((c for c in _open_clients(book) if c.account_manager_id == manager.pk),
                    key=lambda c: (c.open_date, c.account_id))
    if opened:
        client = opened[-1]
        prospect = services.prospect_create(by=manager, name=client.name, source=ProspectSource.STAFF, grade="A",
                                            owner=manager, phone=client.phone, notes="已开户")
        services.prospect_visit_add(prospect=prospect, by=manager, at=book.at(client.open_date - 7 * DAY, 15),
                                    place="营业部", said="确认开户材料，预约开户时间。", impression="准备充分")
        services.prospect_convert(prospect=prospect, client=client, by=manager)
    return count


def make_activities(book: DemoBook) -> int:
    """A seminar held two weeks ago (invited by SMS, attendance recorded) and a training coming up."""
    rng, today, by = book.rng, book.today, book.users["marketing"]
    invitation = MessageTemplate.objects.filter(code="activity_invitation").first()
    seminar = services.activity_create(
        by=by, kind=ActivityKind.SEMINAR, title="有色金属投资策略会", held_on=today - 12 * DAY,
        place="上海浦东营业部多功能厅", cost=Decimal("18000.00"),
        description="研究所有色金属组主讲：铜、铝供需与库存展望。")
    # The Shanghai branch's clients who trade copper (its spot enterprises, without a history).
    sh01 = next(b for b in book.branches if b.code == "SH01")
    targeted = services.activity_target(activity=seminar, by=by, filters={"branch": str(sh01.pk)} | (
        {"product": "cu"} if book.days else {"client_type": ClientType.SPOT_ENTERPRISE}))
    if not targeted:  # a small book may have no copper trader in Shanghai
        targeted = services.activity_target(activity=seminar, by=by, filters={"branch": str(sh01.pk)})
    services.activity_invite(activity=seminar, by=by, channel="sms", template=invitation)
    outcomes = [(RecipientStatus.ATTENDED, 45), (RecipientStatus.ABSENT, 15), (RecipientStatus.DECLINED, 20),
                (RecipientStatus.INVITED, 20)]
    for recipient in seminar.recipients.select_related("client").order_by("client__account_id"):
        status = weighted(rng, outcomes)
        if status != RecipientStatus.INVITED:
            services.recipient_record(recipient=recipient, by=by, status=status,
                                      response="会后希望获得演讲材料" if status == RecipientStatus.ATTENDED
                                      and rng.random() < 0.3 else "")
    training = services.activity_create(by=by, kind=ActivityKind.TRAINING, title="期权交易入门培训",
                                        held_on=today + 9 * DAY, place="上海浦东营业部培训室", cost=Decimal("5000.00"),
                                        description="面向风险等级C4及以上客户：期权基础、希腊字母与风险控制。")
    targeted += services.activity_target(activity=training, by=by,
                                         filters={"branch": str(sh01.pk), "risk_level": "C4"})
    services.activity_invite(activity=training, by=by)
    for recipient in training.recipients.select_related("client").order_by("client__account_id"):
        if rng.random() < 0.4:
            services.recipient_record(recipient=recipient, by=by, status=rng.choice(
                [RecipientStatus.ACCEPTED, RecipientStatus.ACCEPTED, RecipientStatus.DECLINED]))
    return targeted


def make_care(book: DemoBook) -> dict:
    """The care plans over the last days of the history: birthday greetings, care after margin calls."""
    days = book.days[-5:] if book.days else [book.today]
    counts = {}
    for day in sorted(set(days) | {book.today}):
        for kind, c in services.care_run(on=day).items():
            counts[kind] = {k: counts.get(kind, {}).get(k, 0) + v for k, v in c.items()}
    return counts


def make_tasks(book: DemoBook) -> int:
    """Each role's own follow-ups on "my day", and suitability renewals the managers owe."""
    rng, today = book.rng, book.today
    clients = _open_clients(book)
    used = set()

    def pick(candidates):
        free = [c for c in candidates if c.pk not in used] or [c for c in clients if c.pk not in used]
        client = rng.choice(free) if free else None
        used.add(getattr(client, "pk", None))
        return client

    manager = book.users["manager"]
    # Clients whose newest assessment has expired.
    expired = set(SuitabilityAssessment.objects.filter(client_id__in=[c.pk for c in clients]).values("client_id")
                  .annotate(last=Max("expires_on")).filter(last__lt=today).values_list("client_id", flat=True))
    candidates = {
        "admin": [c for c in clients if not c.profile_complete],
        "head": [c for c in clients if c.is_key or c.client_type != ClientType.INDIVIDUAL],
        "branch_sh01": [c for c in clients if c.branch.code == "SH01" and not c.account_manager_id],
        "manager": [c for c in clients if c.account_manager_id == manager.pk],
        "service": clients,
        "marketing": clients,
        "compliance": [c for c in clients if c.pk in expired],
    }
    count = 0
    for username, kind, title, due in ROLE_TASKS:
        client = pick(candidates[username])
        # A small book may have no client of the owner's own: a task never names a client its owner cannot see.
        if client is not None and Client.objects.visible_to(book.users[username]).filter(pk=client.pk).exists():
            services.task_upsert(client=client, kind=kind, owner=book.users[username], title=title,
                                 due_on=today + due * DAY, source="demo")
            count += 1
    # Managers renew their clients' expired assessments over the coming weeks.
    for client in sorted((c for c in clients if c.pk in expired and c.account_manager_id and c.pk not in used),
                         key=lambda c: c.account_id)[: max(3, len(book.clients) // 25)]:
        services.task_upsert(client=client, kind=TaskKind.SUITABILITY_RENEWAL, owner=client.account_manager,
                             due_on=today + rng.randrange(0, 20) * DAY, title=texts.text("task.suitability_renewal"),
                             source="demo")
        count += 1
    return count


# What came of the follow-ups the staff worked before the demo's today, by task kind.
OUTCOMES = {
    TaskKind.HEDGING_PLAN: "已提交套期保值方案，客户确认按方案建仓。",
    TaskKind.CARE: "已电话问候并寄送贺卡。",
    TaskKind.REACTIVATION: "已回访，客户表示行情明朗后恢复交易。",
    TaskKind.SUITABILITY_RENEWAL: "客户已完成重新测评。",
    TaskKind.CALL_BACK: "已回电，问题已解答。",
    TaskKind.COMPLETE_PROFILE: "已补全档案信息。",
}


@transaction.atomic
def close_worked_tasks(book: DemoBook) -> int:
    """After the nights: the follow-ups due over a week before today were worked (a few cancelled). Retention
    tasks stay open: they are the ones the high-risk clients still need, and so do suitability renewals (an
    assessment not redone is still owed)."""
    rng, admin = book.rng, book.users["admin"]
    stale = (Task.objects.filter(status=TaskStatus.OPEN, due_on__lt=book.today - 7 * DAY)
             .exclude(kind__in=[TaskKind.RETENTION, TaskKind.SUITABILITY_RENEWAL])
             .select_related("owner", "client").order_by("due_on", "kind", "id"))
    count = 0
    for task in stale:
        cancelled = rng.random() < 0.1
        services.task_complete(task=task, by=task.owner or admin,
                               outcome="客户暂无需要，取消跟进。" if cancelled else OUTCOMES.get(task.kind, "已处理。"),
                               status=TaskStatus.CANCELLED if cancelled else TaskStatus.DONE)
        count += 1
    return count


@transaction.atomic
def build(book: DemoBook) -> None:
    """Every service-desk step, before the nightly runs (they read surveys and overdue complaints)."""
    with _quiet_messages():
        make_tickets(book)
        make_surveys(book)
        make_prospects(book)
        make_activities(book)
        make_care(book)
        make_tasks(book)
