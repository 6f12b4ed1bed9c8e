"""A synthetic brokerage for demos and benchmarks, deterministic for a seed and a reference day.

Each step is a function taking the `DemoBook` (its `rng` continues the seed's sequence) so the steps
of other apps (intermediaries, referrals, the service desk, the nightly runs) reuse the same people and
clients: `build(clients=..., seed=...)` returns the book. `manage.py demo_data` runs every step.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from futures_crm.roles import Role

from ..choices import (
    AccountStatus,
    Channel,
    ChurnReason,
    ClientType,
    ContactChannel,
    EligibilityKind,
    IdType,
    InvestorClass,
)
from ..demo_settlement import profile_for
from ..identity import USCC_ALPHABET, id_card_with_check, uscc_with_check
from ..models import Branch, Client, ContactLog, EligibilityRecord, StaffProfile, SuitabilityAssessment
from ..pinyin import pinyin_keys
from . import names

# Every demo user has this password; the demo is for a laptop, not a server.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
# (username, role, display name, branch code or None, employee code) of the users a demo is driven with.
DEMO_USERS = [
    ("admin", Role.ADMIN, "系统管理员", None, "HQ001"),
    ("head", Role.HEAD_OFFICE, "总部经理", None, "HQ002"),
    ("compliance", Role.COMPLIANCE, "合规专员", None, "HQ003"),
    ("marketing", Role.MARKETING, "市场部专员", None, "HQ004"),
    ("service", Role.SERVICE_AGENT, "客服专员", "SH01", "CS001"),
    ("backoffice", Role.BACK_OFFICE, "结算系统", None, "HQ006"),
    ("branch_sh01", Role.BRANCH_MANAGER, "浦东营业部负责人", "SH01", "SH01BM"),
    # The demo account manager: SH01's first manager, under the code the import format would use.
    ("manager", Role.ACCOUNT_MANAGER, "王建国", "SH01", "AMSH0101"),
]
# One login per role (CI greps the first two labels); the back office uses the REST API, not the pages.
DEMO_LOGINS = [("Administrator", "admin"), ("Account manager", "manager"), ("Branch manager", "branch_sh01"),
               ("Head office", "head"), ("Service agent", "service"), ("Marketing", "marketing"),
               ("Compliance", "compliance"), ("Back office (API)", "backoffice")]

CLIENT_TYPE_WEIGHTS = [(ClientType.INDIVIDUAL, 85), (ClientType.INSTITUTION, 6), (ClientType.SPOT_ENTERPRISE, 6),
                       (ClientType.FINANCIAL_INSTITUTION, 3)]
STATUS_WEIGHTS = [(AccountStatus.ACTIVE, 75), (AccountStatus.DORMANT, 17), (AccountStatus.CLOSED, 8)]
CHANNEL_WEIGHTS = [(Channel.STAFF, 30), (Channel.MARKETING, 15), (Channel.REFERRAL, 15), (Channel.RESEARCH, 8),
                   (Channel.INTERMEDIARY, 22), (Channel.ONLINE, 10)]
RISK_WEIGHTS = [("C1", 5), ("C2", 15), ("C3", 45), ("C4", 25), ("C5", 10)]


@dataclass
class DemoBook:
    """What a generation run made, for the steps that follow it."""

    rng: random.Random
    today: datetime.date
    branches: list = field(default_factory=list)
    managers: list = field(default_factory=list)
    agents: list = field(default_factory=list)
    users: dict = field(default_factory=dict)
    clients: list = field(default_factory=list)
    intermediaries: list = field(default_factory=list)
    # The trading days of the settlement history (oldest first); empty without one.
    days: list = field(default_factory=list)
    # Account id → churn story of clients.demo_settlement.STORIES, for the settlement history.
    stories: dict = field(default_factory=dict)

    @property
    def now(self) -> datetime.datetime:
        """The demo's "now": the reference day's evening, or the real now when that is earlier."""
        evening = timezone.make_aware(datetime.datetime.combine(self.today, datetime.time(17, 0)))
        return min(timezone.now(), evening)

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        """An aware Asia/Shanghai moment of `day`."""
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(names.SURNAMES) + given


def company_name(rng: random.Random, city: str, client_type: str) -> str:
    return city + rng.choice(names.COMPANY_WORDS) + rng.choice(names.COMPANY_KINDS[client_type])


def phone_number(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "158", "186", "188", "177"]) + f"{rng.randrange(10**8):08d}"


def make_branches(book: DemoBook) -> list[Branch]:
    """The branch offices, created or found by code."""
    book.branches = [
        Branch.objects.update_or_create(code=code, defaults={"name": name, "city": city})[0]
        for code, name, city, _province, _region in names.BRANCHES
    ]
    return book.branches


def _user(username, role, display, branch, code, password_hash, rng):
    user_model = get_user_model()
    user, _created = user_model.objects.update_or_create(
        username=username,
        defaults={"password": password_hash, "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
    )
    StaffProfile.objects.update_or_create(
        user=user, defaults={"employee_code": code, "display_name": display, "branch": branch, "role": role,
                             "phone": phone_number(rng), "is_active": True},
    )
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    return user


def make_staff(book: DemoBook, *, managers_per_branch: int) -> None:
    """The named demo users, then branch managers, account managers and service agents per branch."""
    rng = book.rng
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: hashing per user would take minutes
    by_code = {b.code: b for b in book.branches}
    for username, role, display, branch_code, code in DEMO_USERS:
        book.users[username] = _user(username, role, display, by_code.get(branch_code), code, password_hash, rng)
    book.managers = [book.users["manager"]]
    book.agents = [book.users["service"]]
    for branch in book.branches:
        if branch.code != "SH01":
            _user(f"branch_{branch.code.lower()}", Role.BRANCH_MANAGER, person_name(rng), branch,
                  f"{branch.code}BM", password_hash, rng)
        first = 2 if branch.code == "SH01" else 1  # SH01's first manager is the named demo user
        for i in range(first, managers_per_branch + 1):
            book.managers.append(_user(f"am_{branch.code.lower()}_{i:02d}", Role.ACCOUNT_MANAGER,
                                       person_name(rng), branch, f"AM{branch.code}{i:02d}", password_hash, rng))
    for i in range(2, 4):
        book.agents.append(_user(f"service_{i:02d}", Role.SERVICE_AGENT, person_name(rng), by_code["SH01"],
                                 f"CS{i:03d}", password_hash, rng))


def _identity(rng, client_type, region, birthday, seq):
    if client_type == ClientType.INDIVIDUAL:
        return IdType.ID_CARD, id_card_with_check(f"{region}{birthday:%Y%m%d}{seq % 1000:03d}")
    body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return IdType.BUSINESS_LICENSE, uscc_with_check(f"91{region}{body}")


def make_clients(book: DemoBook, count: int) -> list[Client]:
    """`count` clients of every type, spread over the branches and their managers."""
    rng, today = book.rng, book.today
    regions = {code: (city, province, region) for code, _n, city, province, region in names.BRANCHES}
    managers_by_branch: dict[int, list] = {}
    for m in book.managers:
        managers_by_branch.setdefault(m.staff_profile.branch_id, []).append(m)
    start = Client.objects.count()
    # Clients name intermediaries of their branch that are registered already (see referrals.demo).
    intermediary_codes: dict[int, list] = {}
    for intermediary in book.intermediaries:
        intermediary_codes.setdefault(intermediary.branch_id, []).append(intermediary.code)
    clients = []
    for i in range(count):
        seq = start + i + 1
        branch = book.branches[0] if i % 5 == 0 else rng.choice(book.branches)  # the demo branch is the busiest
        city, province, region = regions[branch.code]
        client_type = weighted(rng, CLIENT_TYPE_WEIGHTS)
        individual = client_type == ClientType.INDIVIDUAL
        birthday = today - datetime.timedelta(days=rng.randrange(22 * 365, 70 * 365)) if individual else None
        id_type, id_number = _identity(rng, client_type, region, birthday, seq)
        open_date = today - datetime.timedelta(days=int(rng.triangular(5, 12 * 365, 400)))
        status = weighted(rng, STATUS_WEIGHTS)
        close_date = None
        if status == AccountStatus.CLOSED:
            close_date = min(today, open_date + datetime.timedelta(days=rng.randrange(30, 1500)))
        channel = weighted(rng, CHANNEL_WEIGHTS)
        if channel == Channel.INTERMEDIARY and profile_for(f"8{seq:08d}", client_type).name == "scalper":
            # Scalpers open online for the fast channel; the few an intermediary brings are its warning sign.
            channel = Channel.ONLINE
        team = managers_by_branch.get(branch.id) or [None]
        name = person_name(rng) if individual else company_name(rng, city, client_type)
        pinyin, initials = pinyin_keys(name, person=individual)
        complete = rng.random() > 0.03
        clients.append(Client(
            account_id=f"8{seq:08d}", name=name, name_pinyin=pinyin, name_initials=initials,
            client_type=client_type, id_type=id_type, id_number=id_number, id_last4=id_number[-4:],
            birthday=birthday, gender=rng.choice(["male", "female"]) if individual else "",
            phone=phone_number(rng) if complete else "", phone_alt="" if rng.random() < 0.8 else phone_number(rng),
            email=f"{pinyin[:12] or 'client'}{seq}@example.com" if rng.random() < 0.6 else "",
            province=province, city=city,
            address=f"{rng.choice(names.STREETS)}{rng.randrange(1, 999)}号",
            occupation=rng.choice(names.OCCUPATIONS) if individual else "",
            industry=rng.choice(names.INDUSTRIES),
            spot_products="、".join(rng.sample(names.SPOT_PRODUCTS, 2))
            if client_type == ClientType.SPOT_ENTERPRISE else "",
            branch=branch, open_date=open_date, close_date=close_date, status=status,
            churn_reason=rng.choice(ChurnReason.values) if close_date else "",
            channel=channel, account_manager=rng.choice(team) if rng.random() > 0.05 else None,
            intermediary_code=_intermediary_code(rng, branch, intermediary_codes) if channel == Channel.INTERMEDIARY
            else "",
            tags=rng.sample(names.TAGS, rng.choice((0, 0, 1, 2))),
            is_key=rng.random() < 0.05,
            consent_phone=True, consent_wechat=True, consent_sms=rng.random() > 0.1, consent_email=rng.random() > 0.2,
            profile_complete=complete,
        ))
    book.clients = Client.objects.bulk_create(clients, batch_size=2000)
    _link_referrers(book)
    return book.clients


def _intermediary_code(rng: random.Random, branch: Branch, registered: dict) -> str:
    # Without a registry (the archive built alone) the code names an intermediary yet to be registered.
    return rng.choice(registered.get(branch.id) or [f"JJ{branch.code}{rng.randrange(1, 20):03d}"])


def _link_referrers(book: DemoBook) -> None:
    # A referred client names an older client of the same branch as its referrer.
    earlier: dict[int, list] = {}
    referred = []
    for client in sorted(book.clients, key=lambda c: c.open_date):
        pool = earlier.setdefault(client.branch_id, [])
        if client.channel == Channel.REFERRAL and pool:
            client.referrer = book.rng.choice(pool)
            referred.append(client)
        pool.append(client)
    Client.objects.bulk_update(referred, ["referrer"], batch_size=2000)


def make_suitability(book: DemoBook) -> None:
    """Most clients have a current assessment; some have expired, some have an older one too."""
    rng, today = book.rng, book.today
    rows = []
    for client in book.clients:
        if rng.random() < 0.06:
            continue
        assessed = max(client.open_date, today - datetime.timedelta(days=rng.randrange(0, 900)))
        expires = assessed + datetime.timedelta(days=730 if rng.random() > 0.1 else rng.randrange(180, 400))
        level = weighted(rng, RISK_WEIGHTS)
        cls = InvestorClass.PROFESSIONAL if client.client_type != ClientType.INDIVIDUAL and rng.random() < 0.6 \
            else InvestorClass.ORDINARY
        if rng.random() < 0.2 and (assessed - client.open_date).days > 800:
            old = assessed - datetime.timedelta(days=730)
            rows.append(SuitabilityAssessment(client=client, investor_class=InvestorClass.ORDINARY, risk_level="C3",
                                              knowledge_score=rng.randrange(60, 100), assessed_on=old,
                                              expires_on=old + datetime.timedelta(days=730),
                                              assessed_by=client.account_manager))
        rows.append(SuitabilityAssessment(client=client, investor_class=cls, risk_level=level,
                                          knowledge_score=rng.randrange(60, 101), assessed_on=assessed,
                                          expires_on=expires, assessed_by=client.account_manager))
        client.investor_class, client.risk_level = cls, level
    SuitabilityAssessment.objects.bulk_create(rows, batch_size=5000)
    Client.objects.bulk_update(book.clients, ["investor_class", "risk_level"], batch_size=2000)


def make_eligibility(book: DemoBook) -> None:
    """Exchange eligibility evidence (准入材料) of the clients assessed C4 or C5 (those who may trade financial
    futures and options), dated the week before opening; about one in twelve falls short of a rule or lacks a
    record, so the nightly matching has something to find. A generator of its own per client: the book's
    random sequence (and every later demo step) stays as it was."""
    rows = []
    for client in book.clients:
        if client.risk_level not in ("C4", "C5") or client.client_type == ClientType.FINANCIAL_INSTITUTION:
            continue
        rng = random.Random(f"eligibility:{client.account_id}")  # noqa: S311 — demo data
        on = client.open_date - datetime.timedelta(days=7)
        short = rng.choice(["funds", "knowledge_test", "simulated_trading", "missing"]) if rng.random() < 0.08 \
            else ""
        funds = Decimal(rng.randrange(50, 300) * 10000) if short != "funds" else Decimal(rng.randrange(20, 50) * 10000)
        score = rng.randrange(80, 101) if short != "knowledge_test" else rng.randrange(50, 80)
        days, trades = (rng.randrange(10, 40), rng.randrange(20, 120)) if short != "simulated_trading" else (
            rng.randrange(3, 10), rng.randrange(5, 20))
        records = [EligibilityRecord(client=client, kind=EligibilityKind.FUNDS, dated_on=on, funds=funds,
                                     evidence_ref=f"资金证明 {client.account_id}"),
                   EligibilityRecord(client=client, kind=EligibilityKind.KNOWLEDGE_TEST, dated_on=on, score=score,
                                     evidence_ref=f"中金所知识测试 {client.account_id}"),
                   EligibilityRecord(client=client, kind=EligibilityKind.SIMULATED_TRADING, dated_on=on,
                                     trading_days=days, trades=trades, evidence_ref=f"仿真交易 {client.account_id}")]
        if short == "missing":
            records.pop(rng.randrange(3))
        for record in records:
            record.recorded_by = client.account_manager
        rows += records
    EligibilityRecord.objects.bulk_create(rows, batch_size=5000)


def make_contact_logs(book: DemoBook, *, per_client: int = 3) -> None:
    """Visits and calls over the last year, by the client's manager or the service desk."""
    rng = book.rng
    now = timezone.make_aware(datetime.datetime.combine(book.today, datetime.time(18, 0)))
    rows = []
    for client in book.clients:
        for _ in range(rng.randrange(0, per_client * 2 + 1)):
            by = client.account_manager if client.account_manager and rng.random() < 0.75 else rng.choice(book.agents)
            when = now - datetime.timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 600))
            channel = rng.choice(ContactChannel.values)
            rows.append(ContactLog(
                client=client, by=by, contacted_at=when, channel=channel,
                place=rng.choice(names.CONTACT_PLACES) if channel == ContactChannel.FACE_TO_FACE else "",
                summary=rng.choice(names.CONTACT_SUMMARIES), impression=rng.choice(names.IMPRESSIONS),
                next_step=rng.choice(names.NEXT_STEPS),
            ))
    ContactLog.objects.bulk_create(rows, batch_size=5000)


def pick_churn_stories(book: DemoBook) -> dict:
    """A realistic few clients get a churn story in the settlement history (clients.demo_settlement.STORIES).

    About 2 % of the book: long-standing active individual clients with a manager; the demo account
    manager gets one who is leaving and one who blows up, so "my day" shows them.
    """
    rng = book.rng
    first_day = book.days[0] if book.days else book.today
    eligible = sorted((c for c in book.clients if c.client_type == ClientType.INDIVIDUAL
                       and c.status == AccountStatus.ACTIVE and c.close_date is None and c.account_manager_id
                       and c.open_date < first_day - datetime.timedelta(days=30)), key=lambda c: c.account_id)
    n = len(book.clients)
    wanted = {"leaving": max(1, n // 100), "blowup": max(1, n // 150), "cutting": max(1, n // 150)}
    manager = book.users.get("manager")
    own = [c for c in eligible if manager is not None and c.account_manager_id == manager.pk]
    for story, client in zip(("leaving", "blowup"), rng.sample(own, min(2, len(own))), strict=False):
        book.stories[client.account_id] = story
        wanted[story] -= 1
    rest = [c for c in eligible if c.account_id not in book.stories]
    chosen = rng.sample(rest, min(len(rest), sum(wanted.values())))
    for story, count in wanted.items():
        for client in chosen[:count]:
            book.stories[client.account_id] = story
        chosen = chosen[count:]
    return book.stories


def _birthday_on(client: Client, day: datetime.date) -> None:
    """Move an individual's birthday to `day`'s month and day (same year), keeping the ID number true to it."""
    born = client.birthday
    new = datetime.date(born.year, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)
    client.birthday = new
    client.id_number = id_card_with_check(f"{client.id_number[:6]}{new:%Y%m%d}{client.id_number[14:17]}")
    client.id_last4 = client.id_number[-4:]


def make_birthdays(book: DemoBook) -> None:
    """Two of the demo manager's clients have a birthday this week: today (a greeting) and in three days."""
    manager = book.users.get("manager")
    own = [c for c in book.clients if manager is not None and c.account_manager_id == manager.pk
           and c.client_type == ClientType.INDIVIDUAL and c.status == AccountStatus.ACTIVE and c.birthday
           and c.account_id not in book.stories]
    picked = book.rng.sample(own, min(2, len(own)))
    for client, ahead in zip(picked, (0, 3), strict=False):
        _birthday_on(client, book.today + datetime.timedelta(days=ahead))
    Client.objects.bulk_update(picked, ["birthday", "id_number", "id_last4"])


@transaction.atomic
def build(*, clients: int, seed: int, today: datetime.date | None = None, days: int = 0,
          before_clients=()) -> DemoBook:
    """The client archive of the demo brokerage; later steps (settlements, segments) take the returned book.

    `days`: the settlement history to come (the churn stories are chosen for it). `before_clients`: steps of
    other apps whose records the clients name (the intermediary registry), run after the staff.
    """
    from clients.demo_settlement import trading_days

    book = DemoBook(rng=random.Random(seed), today=today or timezone.localdate())
    book.days = trading_days(days, book.today) if days > 0 else []
    make_branches(book)
    make_staff(book, managers_per_branch=max(2, min(12, clients // (len(names.BRANCHES) * 80) + 1)))
    for step in before_clients:
        step(book)
    make_clients(book, clients)
    make_suitability(book)
    make_eligibility(book)
    make_contact_logs(book)
    if book.days:
        pick_churn_stories(book)
    make_birthdays(book)
    return book
