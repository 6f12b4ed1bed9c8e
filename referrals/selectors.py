"""Relationship reads: pages, the API and the nightly engine all call these (the engine reads
`orphaned_client_ids`)."""

import datetime
import hashlib
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from clients.choices import AccountStatus
from clients.list_filters import key_client_q
from clients.models import AccountSettlement, Client, ContractSettlement
from clients.selectors import (
    active_account_managers,
    assignable_managers,
    latest_trade_date,
    trading_days,
    trading_window,
)
from futures_crm.roles import user_role
from service.choices import TaskStatus
from service.models import Task

from . import rules
from .access import INTERMEDIARY_FIRM_WIDE
from .choices import IntermediaryStatus, ReferralStatus
from .models import ClubMembership, Intermediary, IntermediaryLink, IntermediaryRelative, IntermediaryTraining, Referral
from .querysets import reached_q

MONEY_FIELD = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0.00")
LATEST_EQUITY_DAYS = 20


# ---------------------------------------------------------------- trading calendar (from the settlement rows)

def latest_equity_subquery():
    """A client's equity on its newest settlement row of the last 20 trading days (for `.annotate(equity=...)`).

    The back-office sends every open account every day; the day list turns the lookup into one probe
    per day of the settlement key, which leads with the trading day.
    """
    days = trading_days(LATEST_EQUITY_DAYS)
    return Subquery(
        AccountSettlement.objects.filter(client=OuterRef("pk"), trade_date__in=days)
        .order_by("-trade_date").values("equity")[:1],
        output_field=MONEY_FIELD,
    )


# ---------------------------------------------------------------- account managers

def orphaned_clients():
    """Clients whose manager, or whose current intermediary while they have no manager, is no longer active.

    A client that never had either is not orphaned: it belongs on the unassigned worklist.
    """
    lost_intermediary = IntermediaryLink.objects.filter(
        client=OuterRef("pk"), valid_to__isnull=True
    ).exclude(intermediary__status=IntermediaryStatus.ACTIVE)
    return Client.objects.filter(
        Q(account_manager__isnull=False, account_manager__staff_profile__is_active=False)
        | Q(account_manager__isnull=True) & Exists(lost_intermediary)
    )


def orphaned_client_ids():
    """The ids of every orphaned client (see `orphaned_clients`), unscoped, as a queryset whose SQL nests.

    The interface the nightly churn signal reads: `segmentation.engine` inlines this query as a subquery,
    so it must stay one SELECT of client ids with no ordering.
    """
    return orphaned_clients().order_by().values_list("pk", flat=True)


def orphaned_client_list(*, user):
    """The orphaned clients `user` may see, open accounts only, with what the page shows."""
    return (
        orphaned_clients().visible_to(user).exclude(status=AccountStatus.CLOSED)
        .select_related("branch", "account_manager__staff_profile")
        .annotate(equity=latest_equity_subquery())
        .order_by("branch__code", "account_id")
    )


def _inactive_manager_q(prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}account_manager__isnull": True})
        | Q(**{f"{prefix}account_manager__is_active": False})
        | Q(**{f"{prefix}account_manager__staff_profile__is_active": False})
    )


def key_clients_without_manager(*, user):
    """Key clients (hand-marked, or key by what other apps register: clients.list_filters) with no active
    manager: each needs a named one."""
    return (
        Client.objects.visible_to(user).filter(key_client_q()).filter(_inactive_manager_q())
        .exclude(status=AccountStatus.CLOSED)
        .select_related("branch", "account_manager__staff_profile")
        .annotate(equity=latest_equity_subquery())
        .order_by("branch__code", "account_id")
    )


def active_managers(*, user=None, branch=None):
    """Active account managers; with `user`, those `user` may assign clients to (a branch manager: their own
    branch's), the same rule the assignment services apply (clients.selectors.assignable_managers)."""
    users = active_account_managers() if user is None else assignable_managers(user=user)
    if branch is not None:
        users = users.filter(staff_profile__branch=branch)
    return users


def manager_book(manager):
    """A manager's clients with their latest equity, largest first (the handover preview)."""
    return (
        Client.objects.filter(account_manager=manager)
        .select_related("branch")
        .annotate(equity=Coalesce(latest_equity_subquery(), Value(ZERO), output_field=MONEY_FIELD))
        .order_by("-equity", "account_id")
    )


def manager_workload(*, user, branch=None, as_of: datetime.date | None = None) -> list[dict]:
    """Per manager: clients, equity on the latest trading day, net commission of 20 trading days, open tasks.

    Four grouped queries over the manager set, merged by manager id.
    """
    managers = list(active_managers(user=user, branch=branch))
    ids = [m.pk for m in managers]
    clients = dict(
        Client.objects.filter(account_manager_id__in=ids).values_list("account_manager_id")
        .annotate(n=Count("pk")).values_list("account_manager_id", "n")
    )
    last = latest_trade_date(as_of)
    equity = {}
    if last:
        equity = dict(
            AccountSettlement.objects.filter(trade_date=last, client__account_manager_id__in=ids)
            .values("client__account_manager_id").annotate(s=Sum("equity"))
            .values_list("client__account_manager_id", "s")
        )
    window = trading_window(rules.WORKLOAD_TRADING_DAYS, as_of)
    commission = {}
    if window:
        commission = dict(
            AccountSettlement.objects.filter(trade_date__range=window, client__account_manager_id__in=ids)
            .values("client__account_manager_id")
            .annotate(s=Sum(F("commission") - F("exchange_fee"), output_field=MONEY_FIELD))
            .values_list("client__account_manager_id", "s")
        )
    tasks = dict(
        Task.objects.filter(owner_id__in=ids, status=TaskStatus.OPEN).values("owner_id").annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    return [
        {
            "manager": m,
            "branch": m.staff_profile.branch,
            "clients": clients.get(m.pk, 0),
            "equity": rules.round_money(equity.get(m.pk) or ZERO),
            "net_commission": rules.round_money(commission.get(m.pk) or ZERO),
            "open_tasks": tasks.get(m.pk, 0),
        }
        for m in managers
    ]


# ---------------------------------------------------------------- intermediaries: compliance checks

def intermediary_list(*, user):
    return Intermediary.objects.visible_to(user).select_related("branch").annotate(
        current_clients=Count("links", filter=Q(links__valid_to__isnull=True)),
    ).order_by("code")


def intermediary_equity(ids) -> dict:
    """Current clients' equity per intermediary on the latest trading day (big books are watched closer)."""
    last = latest_trade_date()
    if not last:
        return {}
    return dict(
        AccountSettlement.objects.filter(trade_date=last, client__intermediary_links__valid_to__isnull=True,
                                         client__intermediary_links__intermediary_id__in=list(ids))
        .values("client__intermediary_links__intermediary_id").annotate(s=Sum("equity"))
        .values_list("client__intermediary_links__intermediary_id", "s").order_by()
    )


def _working(qs):
    # Intermediaries who have left are handled by the transfer list, not the checks.
    return qs.exclude(status=IntermediaryStatus.LEFT)


def contract_expiring(qs, *, today: datetime.date | None = None):
    """Working intermediaries whose contract ended or ends within 30 days."""
    today = today or timezone.localdate()
    limit = today + datetime.timedelta(days=rules.CONTRACT_WARNING_DAYS)
    return _working(qs).filter(contract_end__isnull=False, contract_end__lte=limit)


def training_missing(qs, *, today: datetime.date | None = None):
    """Working intermediaries with no training in the last 12 months."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=rules.TRAINING_WINDOW_DAYS)
    recent = IntermediaryTraining.objects.filter(intermediary=OuterRef("pk"), trained_on__gt=since,
                                                 trained_on__lte=today)
    return _working(qs).filter(~Exists(recent))


def relative_conflicts(qs) -> list[dict]:
    """Current clients of an intermediary whose ID number is one of its declared relatives'."""
    rows = (
        IntermediaryLink.objects.filter(valid_to__isnull=True, intermediary__in=qs.values("pk"))
        .annotate(client_id_upper=Upper("client__id_number"))
        .filter(Exists(IntermediaryRelative.objects.filter(
            intermediary=OuterRef("intermediary"), id_number__iexact=OuterRef("client__id_number"),
        )), client__id_number__gt="")
        .select_related("client", "intermediary")
    )
    relatives = defaultdict(dict)
    for rel in IntermediaryRelative.objects.filter(intermediary__in=qs.values("pk")):
        relatives[rel.intermediary_id][rel.id_number.upper()] = rel
    return [
        {"intermediary": link.intermediary, "client": link.client,
         "relative": relatives[link.intermediary_id].get(link.client_id_upper)}
        for link in rows
    ]


# ---------------------------------------------------------------- warning signs from settlement data

def _window(start, end):
    if start and end:
        return start, end
    window = trading_window(rules.WARNING_WINDOW_TRADING_DAYS)
    return window or (None, None)


def over_trading(clients, *, start=None, end=None) -> list[Client]:
    """Clients whose turnover or commission in the window is outlying against their average equity (炒单).

    Two grouped queries (account rows, contract rows) over the window, merged by client id.
    """
    start, end = _window(start, end)
    if start is None:
        return []
    ids = clients.values("pk")
    money = {
        r["client_id"]: r for r in AccountSettlement.objects.filter(trade_date__range=(start, end), client_id__in=ids)
        .values("client_id").annotate(avg_equity=Avg("equity"), commission=Sum("commission")).order_by()
    }
    turnover = dict(
        ContractSettlement.objects.filter(trade_date__range=(start, end), client_id__in=money.keys())
        .values("client_id").annotate(t=Sum("turnover")).values_list("client_id", "t").order_by()
    )
    flagged = {}
    for cid, r in money.items():
        avg = r["avg_equity"]
        if not avg or avg <= 0:
            continue
        t = turnover.get(cid) or ZERO
        if t >= avg * rules.OVERTRADING_TURNOVER_TIMES or r["commission"] >= avg * rules.OVERTRADING_COMMISSION_SHARE:
            flagged[cid] = (Decimal(avg).quantize(Decimal("0.01")), r["commission"], t)
    found = list(clients.filter(pk__in=flagged.keys()).order_by("account_id"))
    for c in found:
        c.avg_equity, c.window_commission, c.window_turnover = flagged[c.pk]
    return found


def negative_equity(clients, *, start=None, end=None) -> list[Client]:
    """Clients whose equity went below zero (穿仓) on any day of the window, with their lowest equity."""
    start, end = _window(start, end)
    if start is None:
        return []
    lowest = dict(
        AccountSettlement.objects.filter(trade_date__range=(start, end), equity__lt=0,
                                         client_id__in=clients.values("pk"))
        .values("client_id").annotate(low=Min("equity")).values_list("client_id", "low").order_by()
    )
    found = list(clients.filter(pk__in=lowest.keys()).order_by("account_id"))
    for c in found:
        c.lowest_equity = lowest[c.pk]
    return found


DIRECTION = Case(
    When(buy_lots__gt=F("sell_lots"), then=Value("buy")),
    When(sell_lots__gt=F("buy_lots"), then=Value("sell")),
    default=Value(""),
    output_field=CharField(),
)


def _attributed_contract_rows(intermediaries, start, end):
    # A trade counts for an intermediary when the client's link covered that trading day.
    return ContractSettlement.objects.filter(
        Q(client__intermediary_links__valid_to__isnull=True)
        | Q(client__intermediary_links__valid_to__gt=F("trade_date")),
        trade_date__range=(start, end),
        client__intermediary_links__intermediary__in=intermediaries.values("pk"),
        client__intermediary_links__valid_from__lte=F("trade_date"),
    ).annotate(direction=DIRECTION).exclude(direction="")


def converging_trades(intermediaries, *, start=None, end=None) -> list[dict]:
    """Days on which several of one intermediary's clients traded the same instrument in the same direction."""
    start, end = _window(start, end)
    if start is None:
        return []
    groups = list(
        _attributed_contract_rows(intermediaries, start, end)
        .values("client__intermediary_links__intermediary", "trade_date", "instrument", "direction")
        .annotate(clients=Count("client", distinct=True), lots=Sum(F("buy_lots") + F("sell_lots")))
        .filter(clients__gte=rules.CONVERGING_MIN_CLIENTS)
        .order_by("-trade_date", "instrument")[:500]
    )
    for g in groups:
        g["intermediary_id"] = g.pop("client__intermediary_links__intermediary")
    return groups


def converging_members(intermediary, group: dict) -> list[Client]:
    """The clients behind one converging-trade group (for the intermediary page)."""
    rows = _attributed_contract_rows(
        Intermediary.objects.filter(pk=intermediary.pk), group["trade_date"], group["trade_date"]
    ).filter(instrument=group["instrument"], direction=group["direction"])
    return list(Client.objects.filter(pk__in=rows.values("client_id")).order_by("account_id"))


def current_clients_of(intermediaries):
    """Clients currently attributed to any of `intermediaries`."""
    return Client.objects.filter(
        intermediary_links__valid_to__isnull=True, intermediary_links__intermediary__in=intermediaries.values("pk")
    )


def warning_signs(intermediaries, *, start=None, end=None) -> dict:
    """Every warning sign among the current clients of `intermediaries`, keyed by sign."""
    start, end = _window(start, end)  # once: each sign would otherwise look the calendar up again
    clients = current_clients_of(intermediaries).annotate(
        intermediary_id=F("intermediary_links__intermediary")).select_related("branch")
    return {
        "over_trading": list(over_trading(clients, start=start, end=end)),
        "negative_equity": list(negative_equity(clients, start=start, end=end)),
        "converging": converging_trades(intermediaries, start=start, end=end),
    }


def warning_signs_cached(intermediaries) -> dict:
    """`warning_signs` over the default window, cached until the settlement data or any link changes.

    The signs read a month of settlement rows, which change once a trading day; the registry list and
    the compliance page would otherwise recompute them on every load.
    """
    window = _window(None, None)
    links = IntermediaryLink.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    ids = sorted(intermediaries.values_list("pk", flat=True))
    stamp = f"{window}|{links['n']}|{links['at']}|{','.join(map(str, ids))}"
    key = "referrals:signs:" + hashlib.sha256(stamp.encode()).hexdigest()
    signs = cache.get(key)
    if signs is None:
        signs = warning_signs(Intermediary.objects.filter(pk__in=ids), start=window[0], end=window[1])
        cache.set(key, signs, timeout=6 * 3600)
    return signs


def visible_signs(signs: dict, relatives: list, user) -> tuple[dict, list]:
    """Warning signs and relative matches narrowed to the clients `user` may see.

    A manager may open an intermediary who brought one of their clients; the flags stay (they describe the
    intermediary), but other managers' clients are not named. New lists and dicts: `signs` may be cached.
    """
    if user_role(user) in INTERMEDIARY_FIRM_WIDE:
        return signs, relatives
    visible = set(Client.objects.visible_to(user).values_list("pk", flat=True))
    narrowed = {
        "over_trading": [c for c in signs["over_trading"] if c.pk in visible],
        "negative_equity": [c for c in signs["negative_equity"] if c.pk in visible],
        "converging": [{**g, "members": [m for m in g.get("members", []) if m.pk in visible]}
                       for g in signs["converging"]],
    }
    return narrowed, [r for r in relatives if r["client"].pk in visible]


def compliance_report(*, user, today: datetime.date | None = None) -> dict:
    """Each compliance check as a list, plus a per-intermediary set of raised flags.

    The flags count every client; the lists name only the clients `user` may see (see `visible_signs`).
    """
    qs = Intermediary.objects.visible_to(user)
    signs = warning_signs_cached(_working(qs))
    report = {
        "contract": list(contract_expiring(qs, today=today)),
        "training": list(training_missing(qs, today=today)),
        "relatives": relative_conflicts(qs),
        "signs": signs,
    }
    flags = defaultdict(set)
    for i in report["contract"]:
        flags[i.pk].add("contract")
    for i in report["training"]:
        flags[i.pk].add("training")
    for row in report["relatives"]:
        flags[row["intermediary"].pk].add("relative")
    for c in signs["over_trading"] + signs["negative_equity"]:
        flags[c.intermediary_id].add("warning")
    for g in signs["converging"]:
        flags[g["intermediary_id"]].add("warning")
    report["flags"] = flags
    report["signs"], report["relatives"] = visible_signs(signs, report["relatives"], user)
    return report


def intermediary_compliance(*, intermediary, user, today: datetime.date | None = None) -> dict:
    """One intermediary's checks, for its page and `GET /api/intermediaries/{id}/compliance/` alike.

    `flags` (contract, training, relatives, warning) describe the intermediary and count every client;
    `signs` (with each converging group's `members`) and `relatives` name only clients `user` may see.
    """
    one = Intermediary.objects.filter(pk=intermediary.pk)
    signs = warning_signs(one)
    conflicts = relative_conflicts(one)
    for g in signs["converging"]:
        g["members"] = converging_members(intermediary, g)
    flags = {
        "contract": contract_expiring(one, today=today).exists(),
        "training": training_missing(one, today=today).exists(),
        "relatives": bool(conflicts),
        "warning": any(signs.values()),
    }
    signs, conflicts = visible_signs(signs, conflicts, user)
    return {"flags": flags, "signs": signs, "relatives": conflicts}


# ---------------------------------------------------------------- rebates

def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    nxt = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, nxt - datetime.timedelta(days=1)


def _attributed_account_rows(month: datetime.date, **link_filter):
    # A day counts for an intermediary when the client's link covered it: valid_from <= day < valid_to.
    # Every link condition sits in this one filter() call so they all apply to the same link row.
    first, last = month_bounds(month)
    # The month's trading days as a list: each linked client is then one key probe per day.
    days = [d for d in trading_days(31, last) if d >= first]
    return AccountSettlement.objects.filter(
        Q(client__intermediary_links__valid_to__isnull=True)
        | Q(client__intermediary_links__valid_to__gt=F("trade_date")),
        trade_date__in=days,
        client__intermediary_links__valid_from__lte=F("trade_date"),
        **link_filter,
    )


def rebate_source_rows(intermediary, month: datetime.date):
    """The settlement rows a month's statement rests on: each client's days while attributed to the intermediary."""
    return _attributed_account_rows(month, client__intermediary_links__intermediary=intermediary)


def _client_sums(rows, *extra):
    return (
        rows.values(*extra, "client_id")
        .annotate(days=Count("trade_date", distinct=True), commission=Sum("commission"),
                  exchange_fee=Sum("exchange_fee"))
        .order_by(*extra, "client_id")
    )


def rebate_client_sums(intermediary, month: datetime.date):
    """One grouped query: per client, trading days, commission and exchange fee of the month."""
    return _client_sums(rebate_source_rows(intermediary, month))


def rebate_client_sums_all(month: datetime.date) -> dict:
    """The same for every intermediary at once: {intermediary id: [per-client sums]} from one grouped query."""
    out = defaultdict(list)
    for row in _client_sums(_attributed_account_rows(month), "client__intermediary_links__intermediary"):
        out[row.pop("client__intermediary_links__intermediary")].append(row)
    return out


# ---------------------------------------------------------------- referrals

def referral_list(*, user):
    return Referral.objects.visible_to(user).select_related(
        "referrer_client", "referrer_staff__staff_profile", "referred_client", "created_by")


def referrer_conversion(*, user) -> list[dict]:
    """Per referrer: referrals, how many reached each state, conversion, and the equity and net commission brought.

    Commission counts the referred accounts' settlement rows from the day they opened.
    """
    referrals = Referral.objects.visible_to(user)
    counts = referrals.values("referrer_client_id", "referrer_staff_id").annotate(
        # distinct: the rewards join repeats a referral once per reward.
        total=Count("pk", distinct=True),
        contacted=Count("pk", filter=reached_q(ReferralStatus.CONTACTED), distinct=True),
        opened=Count("pk", filter=reached_q(ReferralStatus.OPENED), distinct=True),
        funded=Count("pk", filter=reached_q(ReferralStatus.FUNDED), distinct=True),
        rewards=Count("rewards", distinct=True),
    ).order_by()
    key = ("client__referral_received__referrer_client_id", "client__referral_received__referrer_staff_id")
    brought = AccountSettlement.objects.filter(
        client__referral_received__in=referrals.values("pk"),
        trade_date__gte=F("client__referral_received__opened_on"),
    ).values(*key).annotate(
        commission=Sum(F("commission") - F("exchange_fee"), output_field=MONEY_FIELD)).order_by()
    commission = {(r[key[0]], r[key[1]]): r["commission"] for r in brought}
    last = latest_trade_date()
    equity = {}
    if last:
        equity = {
            (r[key[0]], r[key[1]]): r["equity"]
            for r in AccountSettlement.objects.filter(
                client__referral_received__in=referrals.values("pk"), trade_date=last
            ).values(*key).annotate(equity=Sum("equity")).order_by()
        }
    clients = Client.objects.in_bulk([r["referrer_client_id"] for r in counts if r["referrer_client_id"]])
    staff = get_user_model().objects.select_related("staff_profile").in_bulk(
        [r["referrer_staff_id"] for r in counts if r["referrer_staff_id"]])
    out = []
    for r in counts:
        k = (r["referrer_client_id"], r["referrer_staff_id"])
        out.append({
            **r,
            "referrer": clients.get(r["referrer_client_id"]) or staff.get(r["referrer_staff_id"]),
            "conversion": (Decimal(r["funded"]) * 100 / r["total"]).quantize(Decimal("0.1")) if r["total"] else None,
            "commission": rules.round_money(commission.get(k) or ZERO),
            "equity": rules.round_money(equity.get(k) or ZERO),
        })
    out.sort(key=lambda r: (-r["funded"], -r["total"]))
    return out


def client_relationships(client) -> dict:
    """What the client page shows: manager history, intermediary links, who referred them and whom they referred."""
    return {
        "assignments": client.manager_assignments.select_related(
            "from_manager__staff_profile", "to_manager__staff_profile", "by__staff_profile")[:20],
        "links": client.intermediary_links.select_related("intermediary"),
        "referred_by": Referral.objects.filter(referred_client=client).select_related(
            "referrer_client", "referrer_staff__staff_profile").first(),
        "referred": client.referrals_made.select_related("referred_client"),
        "membership": ClubMembership.objects.filter(client=client).first(),
    }
