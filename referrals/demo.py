"""The demo brokerage's relationships: intermediaries, their clients, referrals, the club, rebate statements.

Steps of `manage.py demo_data` (the book and its conventions: clients.demo). Each takes the `DemoBook`,
draws from its `rng` and writes through this app's services, so the records, their checks and their
audit trail are the ones a person would have made; deterministic for a seed and a reference day.
`make_intermediaries` runs before the clients exist (they name the registered codes), the rest after the
settlement history (the rebate statements and the warning signs read it).
"""

import datetime
from decimal import Decimal

from django.db import transaction

from clients.choices import AccountStatus, ClientType
from clients.demo import DemoBook, person_name, phone_number, weighted
from clients.identity import USCC_ALPHABET, id_card_with_check, uscc_with_check
from clients.models import Client

from . import selectors, services
from .choices import (
    ClubLevel,
    HandoverStrategy,
    IntermediaryKind,
    IntermediaryStatus,
    MembershipStatus,
    ReferralStatus,
    StatementStatus,
)
from .models import Intermediary, IntermediaryLink, RebateStatement

DAY = datetime.timedelta(days=1)
# A few intermediaries carry a story the compliance page should show, keyed by (branch code, index).
WATCHED = ("SH01", 1)  # scalping clients: over-trading for the rebate (炒单)
EXPIRING = ("SH01", 2)  # contract ends within the warning window
STUDIO = ("SH01", 3)  # an institution (工作室), the 4 % that are not natural persons
NO_TRAINING = ("SH02", 1)  # last training more than a year ago
RELATIVE = ("BJ01", 1)  # a declared relative turns out to be its client
LEAVING = ("SZ01", 2)  # left the firm; a client without a manager is orphaned
TRAINING_TOPICS = [
    "居间人执业规范与禁止行为", "期货市场基础知识与风险揭示", "投资者适当性管理要求", "反洗钱与客户身份识别",
    "期货居间人管理办法（2025修订）解读", "期权与套期保值业务介绍",
]
RELATIONS = ["配偶", "父亲", "母亲", "子女", "子女配偶"]
REWARDS = [
    ("推荐奖励：手续费减免一个月", "300.00"), ("推荐礼品：定制茶具一套", "200.00"), ("研究所年度策略会门票", None),
    ("推荐奖励：京东购物卡", "500.00"),
]
REFERRAL_NOTES = [
    "朋友介绍，对商品期货套保感兴趣", "同事，之前在别家公司做过股指", "亲戚，想了解期权", "生意伙伴，做钢材贸易",
]
CLUB_LEVELS = [(ClubLevel.STANDARD, 50), (ClubLevel.SILVER, 30), (ClubLevel.GOLD, 15), (ClubLevel.DIAMOND, 5)]
CLUB_STATUS = [(MembershipStatus.ACTIVE, 90), (MembershipStatus.SUSPENDED, 5), (MembershipStatus.LEFT, 5)]


def _branch_region(branch) -> str:
    from clients.demo import names

    return next(region for code, _n, _c, _p, region in names.BRANCHES if code == branch.code)


def _person_id(rng, region: str, today: datetime.date) -> str:
    born = today - datetime.timedelta(days=rng.randrange(25 * 365, 60 * 365))
    return id_card_with_check(f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}")


def _contract(rng, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A three-year contract renewed as often as needed, so it runs past the warning window."""
    start = today - datetime.timedelta(days=rng.randrange(200, 1500))
    end = start.replace(year=start.year + 3) if (start.month, start.day) != (2, 29) else start + 3 * 365 * DAY
    while end <= today + 60 * DAY:
        start, end = end, end.replace(year=end.year + 3) if (end.month, end.day) != (2, 29) else end + 3 * 365 * DAY
    return start, end


@transaction.atomic
def make_intermediaries(book: DemoBook) -> list[Intermediary]:
    """The registry: two or three intermediaries a branch, with qualifications, contracts, trainings, relatives."""
    rng, today, by = book.rng, book.today, book.users["compliance"]
    for branch in book.branches:
        for index in range(1, (4 if branch.code == "SH01" else 3)):
            key = (branch.code, index)
            region = _branch_region(branch)
            institution = key == STUDIO
            if institution:
                name = f"{branch.city}{rng.choice(['恒远', '泽丰', '盈科'])}投资咨询工作室"
                id_number = uscc_with_check("91" + region + "".join(rng.choice(USCC_ALPHABET) for _ in range(9)))
            else:
                name, id_number = person_name(rng), _person_id(rng, region, today)
            start, end = _contract(rng, today)
            if key == EXPIRING:
                end = today + 12 * DAY
            code = f"JJ{branch.code}{index:03d}"
            # A rerun over an existing registry (clients deleted, staff and registry kept) updates it in place.
            existing = Intermediary.objects.filter(code=code).first()
            intermediary = services.intermediary_save(
                by=by, intermediary=existing, code=code, name=name,
                kind=IntermediaryKind.INSTITUTION if institution else IntermediaryKind.PERSON,
                id_number=id_number, phone=phone_number(rng),
                qualification_certificate=f"F{rng.randrange(10**7):07d}",
                association_registration=f"ZJ{start.year}{rng.randrange(10**5):05d}",
                contract_start=start, contract_end=end, exclusive=True,
                rebate_rate=Decimal(rng.choice(["0.3000", "0.3500", "0.4000", "0.4500", "0.5000"])),
                exchange_rebate_share=Decimal("0.2000") if rng.random() < 0.5 else None, branch=branch,
                status=IntermediaryStatus.ACTIVE, left_on=None,
            )
            # One training within the last year (the yearly requirement), older ones before it.
            days_ago = [rng.randrange(430, 500)] if key == NO_TRAINING else \
                [rng.randrange(15, 330)] + rng.sample(range(400, 1000), rng.randint(1, 2))
            trainings = [(today - d * DAY, Decimal(rng.choice(["2.0", "4.0", "8.0"])), rng.choice(TRAINING_TOPICS))
                         for d in days_ago]
            relatives = [] if institution else [(person_name(rng), _person_id(rng, region, today), relation)
                                                for relation in rng.sample(RELATIONS, rng.randint(1, 2))]
            if existing is None:
                for trained_on, hours, topic in trainings:
                    services.intermediary_training_add(intermediary=intermediary, by=by, trained_on=trained_on,
                                                       hours=hours, topic=topic)
                for name, id_number, relation in relatives:
                    services.intermediary_relative_add(intermediary=intermediary, by=by, name=name,
                                                       id_number=id_number, relation=relation)
            book.intermediaries.append(intermediary)
    return book.intermediaries


def _by_key(book: DemoBook, key) -> Intermediary:
    return next(i for i in book.intermediaries if i.code == f"JJ{key[0]}{key[1]:03d}")


def _first_trading_day(book: DemoBook) -> datetime.date:
    return book.days[0] if book.days else book.today


def make_links(book: DemoBook) -> int:
    """Each client that names an intermediary is attributed to it from its opening, until its closing."""
    by = book.users["compliance"]
    registry = {i.code: i for i in book.intermediaries}
    count = 0
    for client in book.clients:
        intermediary = registry.get(client.intermediary_code)
        if intermediary is None:
            continue
        services.intermediary_link(client=client, intermediary=intermediary, by=by, valid_from=client.open_date,
                                   reason="开户时登记的居间人")
        if client.close_date:
            services.intermediary_link(client=client, intermediary=None, by=by, valid_from=client.close_date,
                                       reason="客户销户")
        count += 1
    return count


def _unlinked(book: DemoBook, linked: set, **conditions):
    first = _first_trading_day(book)
    return [c for c in book.clients if c.pk not in linked and c.status != AccountStatus.CLOSED
            and c.close_date is None and c.open_date < first and c.account_id not in book.stories
            and all(check(c) for check in conditions.values())]


def make_compliance_stories(book: DemoBook) -> None:
    """What the compliance page must catch: over-trading, a relative as client, an intermediary who left."""
    rng, by, today = book.rng, book.users["compliance"], book.today
    linked = {c.pk for c in book.clients if c.intermediary_code in {i.code for i in book.intermediaries}}
    # Clients who over-trade (炒单), brought by one intermediary: the rebate's temptation. Found by the
    # warning sign's own rule in the imported history, so the compliance page shows them.
    candidates = Client.objects.filter(pk__in=[c.pk for c in _unlinked(book, linked)])
    over = {c.pk for c in selectors.over_trading(candidates)} if book.days else set()
    over_traders = [c for c in book.clients if c.pk in over]
    watched = _by_key(book, WATCHED)
    for client in rng.sample(over_traders, min(3, len(over_traders))):
        services.intermediary_link(client=client, intermediary=watched, by=by, valid_from=client.open_date,
                                   reason="补登居间关系（客户经理报告）")
        linked.add(client.pk)
    # A declared relative is one of the intermediary's clients: the 2025 rules forbid it.
    relative_of = _by_key(book, RELATIVE)
    own = [c for c in book.clients if c.intermediary_code == relative_of.code and c.close_date is None
           and c.client_type == ClientType.INDIVIDUAL]
    if not own:
        people = _unlinked(book, linked, person=lambda c: c.client_type == ClientType.INDIVIDUAL)
        own = [rng.choice(people)] if people else []
        for client in own:
            services.intermediary_link(client=client, intermediary=relative_of, by=by, valid_from=client.open_date,
                                       reason="补登居间关系")
            linked.add(client.pk)
    for relative in own[:1]:
        services.intermediary_relative_add(intermediary=relative_of, by=by, name=relative.name,
                                           id_number=relative.id_number, relation="配偶")
    # An intermediary leaves: clients with a manager go to that manager, one without a manager is orphaned.
    leaving = _by_key(book, LEAVING)
    unmanaged = _unlinked(book, linked, unmanaged=lambda c: c.account_manager_id is None)
    if unmanaged:
        orphan = rng.choice(unmanaged)
        services.intermediary_link(client=orphan, intermediary=leaving, by=by, valid_from=orphan.open_date,
                                   reason="补登居间关系")
    left_on = today - 10 * DAY
    current = selectors.current_clients_of(Intermediary.objects.filter(pk=leaving.pk)).select_related(
        "account_manager").order_by("account_id")
    services.intermediary_leave(intermediary=leaving, by=by, reason="合同到期未续签，居间人离职", left_on=left_on,
                                transfers={c.pk: ("manager", c.account_manager) for c in current
                                           if c.account_manager_id})
    leaving.refresh_from_db()


def make_referrals(book: DemoBook) -> None:
    """Referrals at every stage: clients who brought clients (opened, most funded, rewarded), and people
    recommended recently who are still prospects (referred, contacted)."""
    rng, today = book.rng, book.today
    admin = book.users["admin"]
    referred = [c for c in book.clients if c.referrer_id]
    for i, client in enumerate(referred):
        by = client.account_manager or admin
        referred_on = max(client.referrer.open_date, client.open_date - rng.randrange(3, 40) * DAY)
        referral = services.referral_create(
            by=by, prospect_name="", referred_on=referred_on, referrer_client=client.referrer, referred_client=client,
            prospect_phone=client.phone, note=rng.choice(REFERRAL_NOTES))
        if client.close_date is None and i % 4:  # three in four put money in
            funded_on = min(today, client.open_date + rng.randrange(1, 15) * DAY)
            services.referral_advance(referral=referral, status=ReferralStatus.FUNDED, on=funded_on, by=by)
            if i % 2:
                what, amount = rng.choice(REWARDS)
                services.referral_reward_add(referral=referral, by=book.users["head"], what=what,
                                             given_on=min(today, funded_on + rng.randrange(3, 30) * DAY),
                                             amount=Decimal(amount) if amount else None)
    # Recent recommendations still in the pipeline: half contacted already.
    active = [c for c in book.clients if c.status == AccountStatus.ACTIVE and c.close_date is None]
    for i in range(max(4, min(len(book.clients) // 40, 200))):
        referred_on = today - rng.randrange(1, 45) * DAY
        by_staff = i % 4 == 3 or not active
        referrer = None if by_staff else rng.choice(active)
        owner = rng.choice(book.managers) if by_staff else (referrer.account_manager or admin)
        referral = services.referral_create(
            by=owner, prospect_name=person_name(rng), prospect_phone=phone_number(rng), referred_on=referred_on,
            referrer_client=referrer, referrer_staff=owner if by_staff else None, note=rng.choice(REFERRAL_NOTES))
        if i % 2:
            services.referral_advance(referral=referral, status=ReferralStatus.CONTACTED, by=owner,
                                      on=min(today, referred_on + rng.randrange(1, 6) * DAY))


def make_club(book: DemoBook) -> int:
    """Club members (俱乐部): mostly key and long-standing clients, a few suspended or gone."""
    rng, today, by = book.rng, book.today, book.users["marketing"]
    eligible = [c for c in book.clients if c.status != AccountStatus.CLOSED]
    key = [c for c in eligible if c.is_key]
    others = [c for c in eligible if not c.is_key]
    members = key + rng.sample(others, max(0, min(len(others), max(3, len(book.clients) // 16) - len(key))))
    for client in sorted(members, key=lambda c: c.account_id):
        joined = max(client.open_date, today - rng.randrange(30, 1500) * DAY)
        level = ClubLevel.GOLD if client.is_key and rng.random() < 0.5 else weighted(rng, CLUB_LEVELS)
        services.club_membership_set(client=client, by=by, level=level, status=weighted(rng, CLUB_STATUS),
                                     joined_on=joined)
    return len(members)


def make_assignments(book: DemoBook) -> int:
    """A manager left (the whole book handed over, balanced by equity, clients told by SMS), and a few clients
    without a manager were given one."""
    rng, by = book.rng, book.users["head"]
    active = [m for m in book.managers if m.username != "manager"]
    by_branch: dict[int, list] = {}
    for m in active:
        by_branch.setdefault(m.staff_profile.branch_id, []).append(m)
    leaving = next((m for m in reversed(active) if len(by_branch[m.staff_profile.branch_id]) > 1), None)
    if leaving is not None:
        successors = [m for m in by_branch[leaving.staff_profile.branch_id] if m.pk != leaving.pk]
        plan = services.handover_plan(leaving_manager=leaving, successors=successors,
                                      strategy=HandoverStrategy.EQUITY)
        services.manager_handover(leaving_manager=leaving, plan=plan, strategy=HandoverStrategy.EQUITY, by=by,
                                  reason="客户经理离职，客户按权益均衡移交", notify=True)
        book.managers = [m for m in book.managers if m.pk != leaving.pk]
        moved = {pk for ids in plan.values() for pk in ids}
        owners = {pk: sid for sid, ids in plan.items() for pk in ids}
        for client in book.clients:
            if client.pk in moved:
                client.account_manager_id = owners[client.pk]
    team = {}
    for m in book.managers:
        team.setdefault(m.staff_profile.branch_id, []).append(m)
    unmanaged = [c for c in book.clients if c.account_manager_id is None and c.status != AccountStatus.CLOSED
                 and team.get(c.branch_id) and not IntermediaryLink.objects.filter(client=c).exists()]
    given = rng.sample(unmanaged, min(len(unmanaged), 2))
    for client in given:
        to = rng.choice(team[client.branch_id])
        services.client_reassign(client=client, to_manager=to, by=by, reason="为无客户经理的客户指定客户经理")
        client.account_manager = to
    return len(given) + (leaving is not None)


def make_rebates(book: DemoBook) -> int:
    """Monthly rebate statements: every month of the history drafted, the months before the last confirmed."""
    if not book.days:
        return 0
    months = sorted({d.replace(day=1) for d in book.days})
    for month in months:
        services.rebate_statements_draft_month(month=month, by=book.users["compliance"],
                                               exchange_refund_rate=Decimal("0.2000"))
    closed_months = months[:-1] or months
    drafts = RebateStatement.objects.filter(month__in=closed_months, status=StatementStatus.DRAFT).order_by(
        "month", "intermediary__code")
    for statement in drafts:
        services.rebate_statement_confirm(statement=statement, by=book.users["head"])
    return len(months)


@transaction.atomic
def build(book: DemoBook) -> None:
    """Every relationship step after the clients (and their settlement history) exist."""
    make_links(book)
    make_compliance_stories(book)
    make_referrals(book)
    make_club(book)
    make_assignments(book)
    make_rebates(book)

