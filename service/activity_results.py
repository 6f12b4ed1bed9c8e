"""Activity results (issue 14): invited, responded, attended, converted, conversion rate, cost per conversion.

One definition serves the activity page, the results list, its export and the API:
- invited: recipients an invitation reached (status invited, accepted, declined, attended or did not attend;
  not those only selected, nor those left out for suitability);
- responded: invited recipients who answered (accepted, declined or attended), or whose response was recorded;
- attended: status attended;
- converted: an invited client who had no traded day in the N days before the activity's date and has one from
  that date to N days after it (N = settings.ACTIVITY_CONVERSION_DAYS, default 30, calendar days). A traded day
  is a settlement row of the client with commission above zero (account) or lots above zero (contract).
  An invited prospect (准客户) converts when it opened an account (Prospect.client) whose open date is from the
  activity's date to N days after it.
Every count is given for clients and prospects apart (`clients`, `prospects`) and together (the RESULTS keys).
Counts are of the recipients the reader sees (their clients and prospects; a branch manager their branch's). The
cost counted is the activity's cost apportioned to those recipients by their share of everyone invited (the whole
cost for firm-wide readers); cost per conversion is that cost divided by the conversions of clients and prospects
together, none when nothing converted.
Everything is counted in one grouped query over the recipients; the conversions in it read the settlement rows of
the activities' days once (a range of the settlement key's leading date), not once per recipient.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.querysets import client_scope_q

from .choices import RecipientStatus
from .models import Activity, ActivityRecipient
from .querysets import recipient_scope_q

CENT = Decimal("0.01")
DEFAULT_CONVERSION_DAYS = 30

INVITED_STATUSES = (RecipientStatus.INVITED, RecipientStatus.ACCEPTED, RecipientStatus.DECLINED,
                    RecipientStatus.ATTENDED, RecipientStatus.ABSENT)
ANSWER_STATUSES = (RecipientStatus.ACCEPTED, RecipientStatus.DECLINED, RecipientStatus.ATTENDED)

# The results a recipient list can be narrowed to (the `result` filter), in the order the pages show them.
RESULTS = {
    "invited": _("Invited"),
    "responded": _("Responded"),
    "attended": _("Attended"),
    "converted": pgettext_lazy("activity result", "Converted"),  # traded again (a prospect's is "opened")
}

# Who a recipient is (the `kind` filter of the recipients): each result is counted for both apart.
RECIPIENT_KINDS = {
    "clients": (Q(client__isnull=False), pgettext_lazy("activity recipients", "Clients")),
    "prospects": (Q(prospect__isnull=False), pgettext_lazy("activity recipients", "Prospects")),
}


def conversion_days() -> int:
    return int(getattr(settings, "ACTIVITY_CONVERSION_DAYS", DEFAULT_CONVERSION_DAYS))


# The invited recipients of some activities who converted: their settlement rows of the activities' windows (one
# range scan on the settlement key's leading date, hash-joined to the recipients by client), then per recipient
# "a traded day from the activity's date to N days after it, none in the N days before".
CONVERTED_SQL = """
SELECT r.id FROM service_activityrecipient r
JOIN service_activity a ON a.id = r.activity_id
JOIN (SELECT trade_date, client_id FROM clients_accountsettlement
      WHERE trade_date BETWEEN %s AND %s AND commission > 0
      UNION ALL
      SELECT trade_date, client_id FROM clients_contractsettlement
      WHERE trade_date BETWEEN %s AND %s AND (buy_lots > 0 OR sell_lots > 0)) t
  ON t.client_id = r.client_id AND t.trade_date BETWEEN a.held_on - %s AND a.held_on + %s
WHERE r.activity_id = ANY(%s) AND r.status = ANY(%s)
GROUP BY r.id, a.held_on
HAVING bool_and(t.trade_date >= a.held_on)
UNION ALL
SELECT r.id FROM service_activityrecipient r
JOIN service_activity a ON a.id = r.activity_id
JOIN service_prospect p ON p.id = r.prospect_id
JOIN clients_client c ON c.id = p.client_id
WHERE r.activity_id = ANY(%s) AND r.status = ANY(%s) AND c.open_date BETWEEN a.held_on AND a.held_on + %s
"""


def settlement_span(held_on_dates, days: int) -> tuple[datetime.date, datetime.date] | None:
    """The trading days the conversions of activities held on these dates can depend on."""
    dates = [d for d in held_on_dates if d is not None]
    if not dates:
        return None
    return min(dates) - datetime.timedelta(days=days), max(dates) + datetime.timedelta(days=days)


def _converted_ids(activities: list[Activity], days: int) -> RawSQL:
    """The ids of the converted recipients of `activities`, as a subquery."""
    span = settlement_span([a.held_on for a in activities], days)
    if span is None:
        return RawSQL("SELECT NULL::bigint WHERE FALSE", [])  # noqa: S611 - constant
    first, last = span
    ids, statuses = [a.pk for a in activities], [s.value for s in INVITED_STATUSES]
    params = [first, last, first, last, days, days, ids, statuses, ids, statuses, days]
    return RawSQL(CONVERTED_SQL, params)  # noqa: S611 - constant SQL, every value a parameter


def result_q(result: str, days: int | None = None, activities: list[Activity] = ()) -> Q:
    """The recipients (an ActivityRecipient filter) counted under one of RESULTS; the converted ones among the
    recipients of `activities`."""
    invited = Q(status__in=INVITED_STATUSES)
    if result == "invited":
        return invited
    if result == "responded":
        return invited & (Q(status__in=ANSWER_STATUSES) | ~Q(response=""))
    if result == "attended":
        return Q(status=RecipientStatus.ATTENDED)
    if result == "converted":
        return invited & Q(pk__in=_converted_ids(list(activities), conversion_days() if days is None else days))
    raise ValueError(result)


def _rate(part: int, whole: int) -> Decimal | None:
    """A fraction (0.2500), four places; none when there is nothing to divide by."""
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else None


def _figures(activity: Activity, counts: dict, *, firm_wide: bool) -> dict:
    everyone = counts.get("everyone_invited", 0)
    if everyone:
        cost = (activity.cost * counts["invited"] / everyone).quantize(CENT, ROUND_HALF_UP)
    else:
        cost = activity.cost if firm_wide else Decimal("0.00")
    converted = counts.get("converted", 0)
    return {
        "activity": activity,
        **{key: counts.get(key, 0) for key in RESULTS},
        **{kind: {key: counts.get(f"{kind}_{key}", 0) for key in RESULTS} for kind in RECIPIENT_KINDS},
        "conversion_rate": _rate(converted, counts.get("invited", 0)),
        "cost": cost,
        "cost_per_conversion": (cost / converted).quantize(CENT, ROUND_HALF_UP) if converted else None,
    }


def _counts(user, activities: list[Activity], days: int) -> dict[int, dict]:
    """activity id → its counts among the recipients `user` sees (and everyone invited, for the cost share)."""
    scope = recipient_scope_q(user)
    results = {key: result_q(key, days, activities) for key in RESULTS}
    aggregates = {f"{kind}_{key}": Count("pk", filter=scope & who & q)
                  for kind, (who, _label) in RECIPIENT_KINDS.items() for key, q in results.items()}
    rows = (ActivityRecipient.objects.filter(activity__in=activities).order_by().values("activity_id")
            .annotate(**aggregates, everyone_invited=Count("pk", filter=result_q("invited"))))
    return {row.pop("activity_id"): _with_sums(row) for row in rows}


def _with_sums(counts: dict) -> dict:
    """The counts of clients and prospects, and each result's sum over both."""
    return counts | {key: sum(counts[f"{kind}_{key}"] for kind in RECIPIENT_KINDS) for key in RESULTS}


def activity_results(*, user, activities, days: int | None = None) -> list[dict]:
    """The results of `activities` (a queryset, in its order) as `user` sees them: one dict per activity with
    `activity`, the counts of RESULTS, `conversion_rate` (a fraction), `cost` and `cost_per_conversion`."""
    days = conversion_days() if days is None else days
    activities = list(activities)
    counts = _counts(user, activities, days)
    firm_wide = not client_scope_q(user, "client__")  # Q() keeps every recipient
    return [_figures(a, counts.get(a.pk, {}), firm_wide=firm_wide) for a in activities]


def activity_result(*, user, activity: Activity, days: int | None = None) -> dict:
    """One activity's results (its page's section)."""
    return activity_results(user=user, activities=[activity], days=days)[0]


def result_cells(figures: dict) -> list[dict]:
    """A results row's counts in the pages' order: each result's `key`, its `total` and its count of `clients`
    and `prospects` (every one a link to the recipients behind it)."""
    return [{"key": key, "total": figures[key], **{kind: figures[kind][key] for kind in RECIPIENT_KINDS}}
            for key in RESULTS]


def results_totals(rows: list[dict]) -> dict:
    """The sums of a results list: counts, cost, the rate and the cost per conversion of the sums."""
    totals = {key: sum(r[key] for r in rows) for key in RESULTS}
    totals |= {kind: {key: sum(r[kind][key] for r in rows) for key in RESULTS} for kind in RECIPIENT_KINDS}
    totals["cost"] = sum((r["cost"] for r in rows), Decimal("0.00"))
    totals["conversion_rate"] = _rate(totals["converted"], totals["invited"])
    totals["cost_per_conversion"] = ((totals["cost"] / totals["converted"]).quantize(CENT, ROUND_HALF_UP)
                                     if totals["converted"] else None)
    return totals
