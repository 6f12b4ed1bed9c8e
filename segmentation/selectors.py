"""Reads of the nightly results used by the client page, the dashboard and the API (nothing is recomputed)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

from . import indicators
from .choices import Axis, LoyaltyCriterion, Signal
from .engine import W250
from .models import (
    ClientMetrics,
    IndicatorSnapshot,
    Policy,
    SegmentOverride,
    SegmentTransition,
    TradingDay,
    Volume,
)


def _pct(value) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.1f}%"


def _money(value) -> str:
    return "—" if value is None else f"{Decimal(value):,.2f}"


def _ratio(num, den):
    return Decimal(num) / Decimal(den) if den else None


def axis_reasons(segment, metrics: ClientMetrics | None, policy: Policy, client) -> dict[str, list]:
    """Per axis, the metric values set against the policy's thresholds: the 'why' of each segment."""
    m = metrics
    if m is None:
        return {a: [] for a in Axis.values}
    p = policy.value
    avg20, avg60 = m.avg_equity_20, m.avg_equity_60
    per_day = _ratio(m.lots_60, m.traded_days_60)
    return {
        Axis.PURPOSE: [
            (_("Client type"), client.get_client_type_display(), _("spot enterprise → hedger")),
            (_("Hedge lots share, 250 days"), _pct(_ratio(m.hedge_lots_250, m.lots_250)),
             f"≥ {_pct(p('hedge_lots_share'))}"),
        ],
        Axis.FUND_SIZE: [
            (_("Average equity, 20 days"), _money(avg20) if avg20 is not None else _("no row: band kept"),
             f"≥ {_money(p('fund_large'))} / ≥ {_money(p('fund_medium'))}"),
        ],
        Axis.VOLUME: [
            (_("Traded days of 60"), m.traded_days_60, f"0 → {Volume.DORMANT.label}"),
            (_("Traded share of 60 days"), _pct(Decimal(m.traded_days_60) / 60),
             f"≥ {_pct(p('active_traded_share'))} / ≥ {_pct(p('key_traded_share'))}"),
            (_("Flat days of traded days"), _pct(_ratio(m.flat_days_60, m.traded_days_60)),
             f"≥ {_pct(p('active_flat_share'))}"),
            (_("Lots per traded day"), "—" if per_day is None else f"{per_day:.1f}", f"≥ {p('active_lots_per_day')}"),
            (_("Net P&L 60 days vs average equity 60"), _pct(_ratio(m.net_pnl_60, avg60) if avg60 else None),
             f"≤ {_pct(p('key_loss_share'))}"),
        ],
        Axis.TENURE: [
            (_("Open date"), client.open_date or "—",
             _("new if opened less than %(days)s days ago") % {"days": p("tenure_new_days")}),
        ],
    }


def _versus(figure, threshold) -> str:
    """A signal's figure set against its threshold, in the reader's language."""
    return _("%(figure)s against %(threshold)s") % {"figure": figure, "threshold": threshold}


def signal_reasons(metrics: ClientMetrics | None, policy: Policy) -> list:
    """Every signal with its weight and the figures it looked at."""
    m, p = metrics, policy.value
    if m is None:
        return []
    return [
        (Signal.EQUITY_OUTFLOW, p("w_equity_outflow"),
         _versus(_money(m.withdrawals_20 - m.deposits_20), f"{_pct(p('outflow_share'))} × {_money(m.equity_20_ago)}")),
        (Signal.VOLUME_DROP, p("w_volume_drop"),
         _versus(m.lots_20, f"{_pct(p('volume_drop_share'))} × {m.lots_prev_60} / 3")),
        (Signal.HEAVY_LOSS, p("w_heavy_loss"),
         _versus(_money(m.net_pnl_20), f"{_pct(p('heavy_loss_share'))} × {_money(m.equity_20_ago)}")),
        (Signal.COMPLAINT_OVERDUE, p("w_complaint_overdue"), ""),
        (Signal.ORPHANED, p("w_orphaned"), ""),
        (Signal.TURNED_DORMANT, p("w_turned_dormant"), ""),
    ]


def client_panel(client, user) -> dict:
    """Everything the client page's segmentation panel shows."""
    segment = getattr(client, "segment", None)
    metrics = ClientMetrics.objects.filter(client=client).first()
    policy = (Policy.objects.filter(version=segment.policy_version).first() if segment else None)
    pins = {o.axis: o for o in SegmentOverride.objects.filter(client=client, removed_at__isnull=True)
            .select_related("by__staff_profile")}
    reasons = axis_reasons(segment, metrics, policy, client) if segment and policy else {}
    axes = []
    if segment:
        for axis in Axis:
            axes.append({"axis": axis, "label": axis.label, "value": getattr(segment, axis.value),
                         "display": getattr(segment, f"get_{axis.value}_display")(),
                         "pin": pins.get(axis.value), "why": reasons.get(axis, [])})
    held = set(segment.churn_signals) if segment else set()
    return {
        "segment": segment, "metrics": metrics, "policy": policy, "axes": axes,
        "signals": [{"code": s, "label": s.label, "weight": w, "why": why, "holds": s.value in held}
                    for s, w, why in (signal_reasons(metrics, policy) if policy else [])],
        "loyalty": [{"code": c, "label": c.label, "met": segment is not None and c.value in segment.loyalty_criteria}
                    for c in LoyaltyCriterion],
        "transitions": [_labelled(t) for t in
                        SegmentTransition.objects.filter(client=client).select_related("by__staff_profile")[:50]],
        "annual_net_commission": metrics.net_commission_250 if metrics else None,
        "window_days": window_days(segment.as_of) if segment else 0,
        "can_override": user_role(user) in OVERRIDE_ROLES,
        "axis_choices": AXIS_VALUES,
    }


def window_days(as_of, n: int = W250) -> int:
    """How many trading days of data an n-day window held on `as_of`: fewer than n while the history is younger
    (60 days imported: the "250-day" figures cover 60)."""
    if as_of is None:
        return 0
    return TradingDay.objects.filter(day__lte=as_of).order_by("-day")[:n].count()


def active_policy() -> Policy:
    """The newest policy version; before any is saved, the rules' defaults (a read writes nothing)."""
    return Policy.objects.order_by("-version").first() or Policy(version=1, params={})


def high_churn_clients(clients):
    """Of `clients`, those whose churn score reaches the active policy's retention threshold, riskiest first
    (the "my day" section segmentation adds to the service desk)."""
    threshold = active_policy().value("retention_score")
    return (clients.filter(segment__churn_score__gte=threshold)
            .select_related("segment").order_by("-segment__churn_score")[:20])


def value_label(axis: str, value: str) -> str:
    """The display label of an axis value ("dormant" → 休眠)."""
    enum = AXIS_VALUES.get(axis)
    return str(enum(value).label) if enum and value in enum.values else value


def _labelled(transition):
    transition.from_label = value_label(transition.axis, transition.from_value) if transition.from_value else ""
    transition.to_label = value_label(transition.axis, transition.to_value)
    return transition


OVERRIDE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}
RUN_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER}
POLICY_EDITOR_ROLES = {Role.ADMIN, Role.HEAD_OFFICE}
DASHBOARD_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING,
                   Role.COMPLIANCE}


def _axis_values():
    from .models import FundSize, Purpose, Tenure, Volume

    return {Axis.PURPOSE: Purpose, Axis.FUND_SIZE: FundSize, Axis.VOLUME: Volume, Axis.TENURE: Tenure}


AXIS_VALUES = _axis_values()


def dashboard_scope(user, branch_id: int | None = None, manager_id: int | None = None) -> dict | None:
    """The scope the dashboard shows (firm, a branch, or one manager's book) if `user` may see it, else None.

    An account manager sees their own book only; a branch manager their branch and its managers; the
    firm-wide roles any of them. `filters` are the client-list parameters that select the same clients.
    """
    from django.contrib.auth import get_user_model

    from clients.models import Branch

    role = user_role(user)
    if role == Role.ACCOUNT_MANAGER:
        if branch_id or manager_id not in (None, user.pk):
            return None
        return {"level": "manager", "branch": None, "manager": user, "filters": {}, "own": True}
    if role == Role.BRANCH_MANAGER:
        own = user.staff_profile.branch_id
        if branch_id not in (None, own) or own is None:
            return None
        branch_id = own
    elif role not in FIRM_WIDE_ROLES:
        return None
    if manager_id:
        managers = get_user_model().objects.filter(staff_profile__role=Role.ACCOUNT_MANAGER)
        if branch_id:
            managers = managers.filter(staff_profile__branch_id=branch_id)
        manager = managers.select_related("staff_profile__branch").filter(pk=manager_id).first()
        if manager is None:
            return None
        return {"level": "manager", "branch": manager.staff_profile.branch, "manager": manager,
                "filters": {"account_manager": manager.pk}, "own": False}
    if branch_id:
        branch = Branch.objects.filter(pk=branch_id).first()
        if branch is None:
            return None
        return {"level": "branch", "branch": branch, "manager": None, "filters": {"branch": branch.pk}, "own": False}
    return {"level": "firm", "branch": None, "manager": None, "filters": {}, "own": False}


def scope_key(scope: dict) -> str:
    """The scope in one word for the page's context: "firm", "branch:<id>", "manager:<id>" or "own"."""
    if scope["own"]:
        return "own"
    if scope["manager"] is not None:
        return f"manager:{scope['manager'].pk}"
    return f"branch:{scope['branch'].pk}" if scope["branch"] else "firm"


def snapshot_key(scope: dict) -> tuple[str, str]:
    """The scope as the indicator snapshot names it: ("firm", ""), ("branch", code) or ("manager", code)."""
    if scope["manager"] is not None:
        return "manager", manager_code(scope["manager"])
    return ("branch", scope["branch"].code) if scope["branch"] is not None else ("firm", "")


def dashboard_day():
    """The newest trading day whose snapshot holds the dashboard's figures (None before the first night)."""
    return (IndicatorSnapshot.objects.filter(scope="firm", code="", segmented__isnull=False)
            .order_by("-on_date").values_list("on_date", flat=True).first())


def snapshot_stored(day) -> bool:
    """Whether the night of `day` stored the dashboard's figures at all (a weekend or a day before the history
    has none)."""
    return IndicatorSnapshot.objects.filter(on_date=day, scope="firm", code="", segmented__isnull=False).exists()


DASHBOARD_FIELDS = ["on_date", "policy_version", "segmented", "segment_counts", "churned", "segmented_loyal",
                    "churn_bands", "top20_share", "net_commission_250", "concentration"]


def high_risk_count(data: dict) -> int:
    """The clients of a dashboard's figures in the churn-score bands from `indicators.HIGH_RISK` up."""
    return sum(b["clients"] for b in data["churn"] if b["from"] >= indicators.HIGH_RISK)


def dashboard_figures(scope: dict, as_of=None) -> dict | None:
    """The dashboard's figures in a scope, as the nightly snapshot of `as_of` stored them (by default the newest
    day's: `dashboard_day()`); None when that day has none for the scope. Nothing is recomputed.

    {"clients", "segments": {axis: {value: n}}, "churn": [{"from", "to", "clients"}], "churned", "loyal",
     "concentration": {"top20_share", "curve": [{"clients_pct", "share"}], "total"}, "as_of", "policy_version"}
    (shares and the total are decimal strings)."""
    as_of = as_of or dashboard_day()
    if as_of is None:
        return None
    level, code = snapshot_key(scope)
    row = (IndicatorSnapshot.objects.filter(on_date=as_of, scope=level, code=code, segmented__isnull=False)
           .values(*DASHBOARD_FIELDS).first())
    if row is None:
        return None
    share, total = row["top20_share"], row["net_commission_250"]
    return {
        "clients": row["segmented"], "segments": row["segment_counts"] or {},
        "churn": [{"from": lo, "to": hi, "clients": n}
                  for (lo, hi), n in zip(indicators.CHURN_BANDS, row["churn_bands"], strict=True)],
        "churned": row["churned"], "loyal": row["segmented_loyal"],
        "concentration": {"top20_share": None if share is None or not total else str(share),
                          "curve": row["concentration"] or [], "total": str(total or 0)},
        "as_of": row["on_date"], "policy_version": row["policy_version"],
    }


def dashboard_children(scope: dict, as_of=None) -> list[dict]:
    """One level down from a scope, with its segmented clients on the snapshot's day: the firm's branches, or a
    branch's account managers (each with their whole book, as their own dashboard counts it) and its clients
    nobody manages (`manager` None). Two queries whatever the number of rows; a manager's book has none."""
    from django.contrib.auth import get_user_model

    from clients.models import Branch

    if scope["level"] not in ("firm", "branch"):
        return []
    as_of = as_of or dashboard_day()
    stored = IndicatorSnapshot.objects.filter(on_date=as_of)
    if scope["level"] == "firm":
        counts = dict(stored.filter(scope="branch").values_list("code", "segmented"))
        return [{"branch": b, "manager": None, "clients": counts.get(b.code) or 0}
                for b in Branch.objects.order_by("code")]
    branch = scope["branch"]
    managers = list(get_user_model().objects.filter(staff_profile__role=Role.ACCOUNT_MANAGER,
                                                    staff_profile__branch=branch)
                    .select_related("staff_profile").order_by("staff_profile__employee_code"))
    codes = {manager_code(m): m for m in managers}
    figures = {(level, code): (n, unassigned) for level, code, n, unassigned in stored.filter(
        Q(scope="manager", code__in=codes) | Q(scope="branch", code=branch.code))
        .values_list("scope", "code", "segmented", "segmented_unassigned")}
    rows = [{"branch": branch, "manager": m, "clients": figures.get(("manager", code), (0,))[0] or 0}
            for code, m in codes.items()]
    unassigned = figures.get(("branch", branch.code), (0, 0))[1]
    if unassigned:
        rows.append({"branch": branch, "manager": None, "unassigned": True, "clients": unassigned})
    return rows


# ---------------------------------------------------------------- indicator history

INDICATOR_ROLES = FIRM_WIDE_ROLES | {Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}
INDICATOR_MONEY = ["equity", "net_deposits", "commission", "net_commission", "lifetime_value"]
INDICATOR_RATIOS = ["top20_share", "avg_churn_score", "retention_rate", "avg_satisfaction"]
INDICATOR_COUNTS = ["clients", "new", "reactivated", "active", "churned", "churned_inevitable", "churned_accidental",
                    "churned_no_reason", "lots", "high_risk", "loyal", "open_tasks", "overdue_tasks", "open_tickets",
                    "overdue_tickets", "tickets_resolved", "tickets_within_deadline", "complaints", "contacts",
                    "tickets_opened", "tasks_created"]
PER_CLIENT_PLACES = Decimal("0.0001")


def manager_code(user) -> str:
    """The code of an account manager's own scope in the indicator history (as indicators.PER_CLIENT names it)."""
    profile = getattr(user, "staff_profile", None)
    return profile.employee_code if profile is not None else str(user.pk)


def indicator_access(user, scope: str, code: str) -> str:
    """Whether `user` may read the series of (scope, code): "ok"; "forbidden" for a level of scope their role
    never reads (an account manager and the firm); "hidden" for a code outside their reach (told as not found)."""
    from clients.models import Branch, StaffProfile
    from referrals.models import Intermediary

    role = user_role(user)
    if role in FIRM_WIDE_ROLES:
        return "ok"
    if role == Role.ACCOUNT_MANAGER:
        if scope != "manager":
            return "forbidden"
        return "ok" if code == manager_code(user) else "hidden"
    if role == Role.BRANCH_MANAGER:
        branch_id = user.staff_profile.branch_id
        reachable = {
            "branch": Branch.objects.filter(pk=branch_id, code=code),
            "manager": StaffProfile.objects.filter(branch_id=branch_id, employee_code=code),
            "intermediary": Intermediary.objects.filter(branch_id=branch_id, code=code),
        }
        if scope not in reachable:
            return "forbidden"
        return "ok" if branch_id and reachable[scope].exists() else "hidden"
    return "forbidden"


def indicator_series(scope: str, code: str, start, end) -> list[dict]:
    """The stored snapshots of one scope, oldest first: counts as numbers, money and ratios as decimal strings,
    and the cost to serve per client (contacts, tickets and tasks of the day per client in the book)."""
    from .models import IndicatorSnapshot

    fields = ["on_date", "segments", *INDICATOR_COUNTS, *INDICATOR_MONEY, *INDICATOR_RATIOS]
    rows = (IndicatorSnapshot.objects.filter(scope=scope, code=code, on_date__range=(start, end))
            .order_by("on_date").values_list(*fields))
    series = []
    for row in rows:
        item = dict(zip(fields, row, strict=True))
        item["date"] = item.pop("on_date").isoformat()
        for key in (*INDICATOR_MONEY, *INDICATOR_RATIOS):
            item[key] = None if item[key] is None else str(item[key])
        for key in ("contacts", "tickets_opened", "tasks_created"):
            per = _ratio(item[key], item["clients"])
            item[f"{key}_per_client"] = None if per is None else str(per.quantize(PER_CLIENT_PLACES))
        series.append(item)
    return series


# ---------------------------------------------------------------- segment history

UNSEGMENTED = "unsegmented"  # the client-list value for "no value on that axis yet" (the matrix's extra row)
ANY_VALUE = "any"  # the client-list value for "any value on the last date" (a matrix row's total)


def segment_value_on(axis: str, day, client_ref: str = "pk"):
    """A client's value on one axis on `day`, as an annotation: the last stored transition of that axis up to it
    (None before the first). The migration matrix counts with it and the client list's `moved_*` filter selects
    with it, so a cell and its list agree."""
    from django.db.models import OuterRef, Subquery

    return Subquery(SegmentTransition.objects.filter(client=OuterRef(client_ref), axis=axis, on_date__lte=day)
                    .order_by("-on_date", "-id").values("to_value")[:1])


def moved_clients(clients, *, axis: str, was: str | None, now: str, start, end):
    """Of `clients`, those whose value on `axis` was `was` on `start` (UNSEGMENTED: none yet; None: any) and is
    `now` on `end` (ANY_VALUE: any value, as the matrix counts a row's total), from the stored transitions."""
    moved = (clients.model.objects.order_by().annotate(moved_was=segment_value_on(axis, start),
                                                        moved_now=segment_value_on(axis, end)))
    moved = moved.filter(moved_now__isnull=False) if now == ANY_VALUE else moved.filter(moved_now=now)
    if was == UNSEGMENTED:
        moved = moved.filter(moved_was__isnull=True)
    elif was:
        moved = moved.filter(moved_was=was)
    return clients.filter(pk__in=moved.values("pk"))
