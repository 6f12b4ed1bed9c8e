"""Helpers of the writer: the placeholder branch, defaults for set-based inserts, the check after writing."""

from django.db import connection
from django.utils import timezone

from futures_crm import texts

from ..models import Branch

PLACEHOLDER_BRANCH = Branch.PLACEHOLDER
WARNING_EXAMPLES = 20


def placeholder_branch() -> Branch:
    """Where placeholder clients wait until a clients file names their branch."""
    branch, _created = Branch.objects.get_or_create(
        code=PLACEHOLDER_BRANCH, defaults={"name": PLACEHOLDER_BRANCH, "is_complete": False}
    )
    return branch


def column_defaults(model, given: set[str]) -> list[tuple[str, object]]:
    """(column, database value) for every column a raw INSERT does not set, from the model's defaults.

    Model defaults are not database defaults, so a set-based INSERT has to spell them out.
    """
    now = timezone.now()
    out = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given or field.name in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_db_prep_save(field.get_default(), connection)
        elif field.null:
            value = None
        else:
            value = field.get_db_prep_save(field.get_default(), connection)  # "" for text fields
        out.append((field.column, value))
    return out


def settlement_mismatches(date_from, date_to) -> list[texts.Text]:
    """Accounts whose contract rows do not add up to their account row (a warning, never a rejection)."""
    if date_from is None:
        return []
    sql = """
        SELECT a.trade_date, c.account_id, a.commission, k.commission, a.exchange_fee, k.exchange_fee,
               a.margin, k.margin
        FROM clients_accountsettlement a
        JOIN (SELECT client_id, trade_date, SUM(commission) AS commission, SUM(exchange_fee) AS exchange_fee,
                     SUM(margin) AS margin
              FROM clients_contractsettlement WHERE trade_date BETWEEN %s AND %s
              GROUP BY client_id, trade_date) k ON k.client_id = a.client_id AND k.trade_date = a.trade_date
        JOIN clients_client c ON c.id = a.client_id
        WHERE a.trade_date BETWEEN %s AND %s
          AND (a.commission <> k.commission OR a.exchange_fee <> k.exchange_fee OR a.margin <> k.margin)
        ORDER BY a.trade_date, c.account_id
    """
    out, total = [], 0
    with connection.cursor() as cur:
        cur.execute(sql, [date_from, date_to, date_from, date_to])
        for row in cur:
            total += 1
            if len(out) < WARNING_EXAMPLES:
                # Every amount as money with two decimals (a sum's scale is its rows').
                day, account = row[0], row[1]
                row = [row[0], row[1], *(f"{v:.2f}" for v in row[2:])]
                out.append(texts.text("import.settlement_mismatch", day=day, acc=account, kc=row[3], kf=row[5],
                                      km=row[7], ac=row[2], af=row[4], am=row[6]))
    if total > len(out):
        out.append(texts.text("import.settlement_mismatch_more", n=total - len(out)))
    return out
