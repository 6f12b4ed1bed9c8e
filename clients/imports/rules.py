"""The settlement rules, each defined once: the Python checks and every route's SQL are built from here.

- row identities: the balance identity (to a tolerance) and exchange fee ≤ commission;
- alerts: which account-row figures raise which settlement alert;
- the clients-file merge: what a row replaces, what it sets only when given, what closes an account,
  and the links whose unknown values are warned about and left empty.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ..choices import AccountStatus
from ..models.imports import AlertKind
from .formats import CLIENTS

# -- row identities: a row breaking one is rejected, with the same message on every route --------------

# balance = pre_balance + deposit − withdrawal + close_profit + position_profit − commission, to the cent.
BALANCE_TOLERANCE = Decimal("0.01")
_ZERO = Decimal(0)
BALANCE_TERMS = (("pre_balance", 1), ("deposit", 1), ("withdrawal", -1), ("close_profit", 1),
                 ("position_profit", 1), ("commission", -1))
BALANCE_ADDED = [name for name, sign in BALANCE_TERMS if sign > 0]
BALANCE_SUBTRACTED = [name for name, sign in BALANCE_TERMS if sign < 0]


def expected_balance(added, subtracted) -> Decimal:
    """The balance the identity expects: the amounts of BALANCE_ADDED less those of BALANCE_SUBTRACTED."""
    return sum(added, _ZERO) - sum(subtracted, _ZERO)


def balance_off(balance: Decimal, expected: Decimal) -> bool:
    return abs(balance - expected) > BALANCE_TOLERANCE


def fee_over_commission(exchange_fee: Decimal, commission: Decimal) -> bool:
    return exchange_fee > commission


def identity_failed_sql(kind: str, t: str) -> str:
    """SQL true for a row (alias `t`) of a settlement `kind` that breaks one of its identities."""
    failed = f"{t}.exchange_fee > {t}.commission"
    if kind == "accounts":
        added = " + ".join(f"{t}.{name}" for name in BALANCE_ADDED)
        subtracted = " + ".join(f"{t}.{name}" for name in BALANCE_SUBTRACTED)
        failed += f" OR abs({t}.balance - (({added}) - ({subtracted}))) > {BALANCE_TOLERANCE}"
    return failed


# -- settlement alerts, from the account row -----------------------------------------------------------

@dataclass(frozen=True)
class AlertRule:
    """An account row raises `kind` when `column op 0`; the alert carries that column's amount."""

    kind: str
    column: str
    op: str

    def raised(self, t: str) -> str:
        return f"{t}.{self.column} {self.op} 0"


ALERTS = (
    AlertRule(AlertKind.NEGATIVE_EQUITY.value, "equity", "<"),  # 穿仓
    AlertRule(AlertKind.MARGIN_CALL.value, "margin_call", ">"),
)
ALERT_COLUMNS = [rule.column for rule in ALERTS]


def alert_raised_sql(t: str) -> str:
    """SQL true for an account row (alias `t`) that raises any alert."""
    return " OR ".join(rule.raised(t) for rule in ALERTS)


def alert_candidates_sql(t: str) -> str:
    """A VALUES list of (kind, amount, raised) for the row `t`, one entry per alert kind."""
    return ", ".join(f"('{rule.kind}', {t}.{rule.column}, {rule.raised(t)})" for rule in ALERTS)


def alert_withdrawn_sql(alert: str, t: str) -> str:
    """SQL true when the stored `alert` is one the row `t` no longer bears out."""
    return " OR ".join(f"({alert}.kind = '{rule.kind}' AND NOT ({rule.raised(t)}))" for rule in ALERTS)


# -- the clients file merged into the archive ------------------------------------------------------------

@dataclass(frozen=True)
class ClientLink:
    """An optional column naming another record: a value found sets `target`; an unknown one leaves it
    empty and is warned about (`label`). `in_file`: a client of the same file counts as found."""

    column: str
    table: str
    key: str
    target: str
    value: str
    label: str
    in_file: bool = False


CLIENT_LINKS = (
    ClientLink("manager_code", "clients_staffprofile", "employee_code", "account_manager_id", "user_id",
               _("Unknown account-manager code(s), link left empty")),
    ClientLink("intermediary_code", "referrals_intermediary", "code", "intermediary_code", "code",
               _("Unknown intermediary code(s), link left empty")),
    ClientLink("referrer_account_id", "clients_client", "account_id", "referrer_id", "id",
               _("Unknown referrer account(s), link left empty"), in_file=True),
)
# The client columns an optional cell (or link) sets: an empty cell is absent and never blanks a stored
# value; every other column of the row replaces the stored one.
_LINKED = {link.column: link.target for link in CLIENT_LINKS}
CLIENT_SET_WHEN_GIVEN = [_LINKED.get(c.name, c.name) for c in CLIENTS.columns if not c.required]
# A close date given closes the account; without one a new client is active and a stored one keeps its status.
CLOSED, OPEN = AccountStatus.CLOSED.value, AccountStatus.ACTIVE.value


def status_sql(row: str, stored: str | None) -> str:
    """The status of a client written from `row` (stored status `stored`, None for a new client)."""
    otherwise = f"{stored}.status" if stored else f"'{OPEN}'"
    return f"CASE WHEN {row}.close_date IS NOT NULL THEN '{CLOSED}' ELSE {otherwise} END"
