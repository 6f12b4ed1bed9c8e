"""The intermediary scorecard (居间人考核): per intermediary of a branch and month, the clients linked, their
equity and commission, the rebate paid, the warning signs; ranked within the branch.

Attribution follows the rebate statements: a client's settlement day counts for an intermediary when the link
covered it (valid_from <= day < valid_to). `clients` are the links open at the month's last calendar day,
`new_clients` the links that began in the month; `equity` the attributed clients' equity on the month's last
trading day; `commission` and `net_commission` (commission less exchange fees) the month's attributed days;
`rebate` the total of the month's confirmed rebate statement (a draft is not paid); `retained` net commission
less that rebate; the warning signs (over-trading, negative equity, converging trades) read the month's trading
days among the intermediary's current clients, as the compliance page does. Five grouped queries a branch.
"""

import datetime
from collections import Counter
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Branch
from clients.selectors import latest_trade_date, trading_days
from futures_crm.filters import list_url
from futures_crm.roles import Role, user_role
from futures_crm.scorecards import COUNT, MONEY, Figure, month_start, rank

from .access import INTERMEDIARY_FIRM_WIDE, SCORECARD_READERS
from .choices import StatementStatus
from .models import Intermediary, IntermediaryLink, RebateStatement
from .querysets import link_open_q
from .selectors import MONEY_FIELD, ZERO, _attributed_account_rows, month_bounds, warning_signs

FIGURES = [
    Figure("clients", _("Clients linked"), COUNT),
    Figure("new_clients", _("Clients newly linked"), COUNT),
    Figure("equity", _("Client equity"), MONEY),
    Figure("commission", _("Commission"), MONEY),
    Figure("net_commission", _("Net commission"), MONEY),
    Figure("rebate", _("Rebate paid"), MONEY),
    Figure("retained", _("Net commission after rebate"), MONEY),
    Figure("over_trading", _("Over-trading clients"), COUNT),
    Figure("negative_equity", _("Clients with negative equity"), COUNT),
    Figure("converging", _("Converging trades"), COUNT),
    Figure("warning_signs", _("Warning signs"), COUNT),
]
FIGURE_KEYS = [f.key for f in FIGURES]
ASCENDING = {"over_trading", "negative_equity", "converging", "warning_signs"}  # fewer is better
SCORECARD_ROLES = SCORECARD_READERS
# The figures the scorecard links to the client list (?figure=…), named in the list's banner; the links:
# `figure_links`.
CLIENT_FIGURES = {
    "scorecard_linked": _("Clients linked to intermediary %(link_intermediary)s on %(link_open_on)s"),
    "scorecard_newly_linked": _("Clients newly linked to intermediary %(link_intermediary)s from %(link_began_from)s "
                                "to %(link_began_to)s"),
}
LINK = "client__intermediary_links__intermediary"


def latest_month() -> datetime.date:
    """The month of the newest settlement day (this month without any)."""
    return month_start(latest_trade_date() or timezone.localdate())


def visible_branches(user):
    """Compliance, head office and admin read every branch's intermediaries; a branch manager their branch's."""
    role = user_role(user)
    if role in SCORECARD_ROLES and role in INTERMEDIARY_FIRM_WIDE:
        return Branch.objects.order_by("code")
    if role == Role.BRANCH_MANAGER and user.staff_profile.branch_id:
        return Branch.objects.filter(pk=user.staff_profile.branch_id)
    return Branch.objects.none()


def branch_intermediaries(user, branch, month: datetime.date):
    """The branch's intermediaries `user` may see (the registry's scope) still working at the month's start."""
    return (Intermediary.objects.visible_to(user).filter(branch=branch)
            .filter(Q(left_on__isnull=True) | Q(left_on__gte=month)).order_by("code"))


def monthly_figures(ids: list[int], month: datetime.date) -> dict[int, dict]:
    """Intermediary id → the month's figures (zeros where nothing happened), for the intermediaries `ids`."""
    first, last = month_bounds(month)
    out = {pk: {"clients": 0, "new_clients": 0, "equity": ZERO, "commission": ZERO, "net_commission": ZERO,
                "rebate": ZERO, "over_trading": 0, "negative_equity": 0, "converging": 0} for pk in ids}
    if not ids:
        return out
    open_at_end = link_open_q(last)
    for row in (IntermediaryLink.objects.filter(intermediary_id__in=ids).values("intermediary_id").order_by()
                .annotate(clients=Count("client", distinct=True, filter=open_at_end),
                          new_clients=Count("client", distinct=True, filter=Q(valid_from__range=(first, last))))):
        out[row["intermediary_id"]].update(clients=row["clients"], new_clients=row["new_clients"])
    days = [d for d in trading_days(31, last) if d >= first]
    if days:
        money = (_attributed_account_rows(month, **{f"{LINK}__in": ids}).values(LINK).order_by()
                 .annotate(net=Sum(F("commission") - F("exchange_fee"), output_field=MONEY_FIELD),
                           gross=Sum("commission"), end_equity=Sum("equity", filter=Q(trade_date=days[0]))))
        for row in money:
            out[row[LINK]].update(commission=row["gross"], net_commission=row["net"],
                                  equity=row["end_equity"] or ZERO)
        signs = warning_signs(Intermediary.objects.filter(pk__in=ids), start=days[-1], end=days[0])
        for key in ("over_trading", "negative_equity"):
            for pk, n in Counter(c.intermediary_id for c in signs[key]).items():
                out[pk][key] = n
        for pk, n in Counter(g["intermediary_id"] for g in signs["converging"]).items():
            out[pk]["converging"] = n
    for pk, total in RebateStatement.objects.filter(intermediary_id__in=ids, month=first,
                                                    status=StatementStatus.CONFIRMED).values_list("intermediary_id",
                                                                                                  "total"):
        out[pk]["rebate"] = total
    for figures in out.values():
        figures["retained"] = figures["net_commission"] - figures["rebate"]
        figures["warning_signs"] = figures["over_trading"] + figures["negative_equity"] + figures["converging"]
        for key in ("equity", "commission", "net_commission", "rebate", "retained"):
            figures[key] = Decimal(figures[key]).quantize(Decimal("0.01"))
    return out


def branch_scorecard(user, branch, month: datetime.date, sort: str = "net_commission") -> list[dict]:
    """The branch's intermediaries for `month`, ranked by figure `sort` (fewest warning signs first for those)."""
    intermediaries = list(branch_intermediaries(user, branch, month))
    figures = monthly_figures([i.pk for i in intermediaries], month)
    rows = [{"intermediary": i, "code": i.code, "figures": figures[i.pk],
             "values": [(f, figures[i.pk][f.key]) for f in FIGURES]} for i in intermediaries]
    return rank(rows, sort, ascending=sort in ASCENDING)


def figure_links(row: dict, month: datetime.date) -> dict:
    """Figure key → the client list that makes it: the clients linked at the month's last day and those newly
    linked in the month. The money and the warning signs are not linked (no client list reproduces them: the
    money follows the links day by day, the signs are the compliance page's)."""
    first, last = month_bounds(month)
    return {"clients": list_url("clients:list", "scorecard_linked", link_intermediary=row["code"], link_open_on=last),
            "new_clients": list_url("clients:list", "scorecard_newly_linked", link_intermediary=row["code"],
                                    link_began_from=first, link_began_to=last)}
