"""Retention (保存期限): a closed account's personal data is kept PERSONAL_DATA_RETENTION_YEARS from its
closing date, then de-identified. The account id, the branch and the settlement figures stay for the books.
"""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateField
from django.db.models.expressions import RawSQL

from clients.models import Client
from futures_crm.models import AuditEntry

from .models import Deidentification

# What de-identification replaces (the search keys derived from them too).
PERSONAL_FIELDS = ["name", "id_number", "birthday", "phone", "phone_alt", "email", "address"]
DEIDENTIFIED_NAME = "已去标识化"


def retention_years() -> int:
    return int(settings.PERSONAL_DATA_RETENTION_YEARS)


def _due_on_sql() -> RawSQL:
    # Years, not 365-day steps: a client closed on 29 February is due on 28 February.
    return RawSQL("(clients_client.close_date + make_interval(years => %s))::date", [retention_years()],
                  output_field=DateField())


def retention_pending(*, by_date: datetime.date):
    """Closed clients whose retention ends by `by_date` and are not de-identified yet, with `due_on`."""
    return (Client.objects.filter(status="closed", close_date__isnull=False)
            .exclude(pk__in=Deidentification.objects.values("client_id"))
            .annotate(due_on=_due_on_sql()).filter(due_on__lte=by_date).order_by("due_on", "account_id"))


DEIDENTIFY_SQL = """
WITH due AS (
    SELECT c.id, c.close_date, (c.close_date + make_interval(years => %(years)s))::date AS due_on
    FROM clients_client c
    WHERE c.status = 'closed' AND c.close_date IS NOT NULL
      AND (c.close_date + make_interval(years => %(years)s))::date <= %(on)s
      AND NOT EXISTS (SELECT 1 FROM privacy_deidentification d WHERE d.client_id = c.id)
    FOR UPDATE OF c
), cleared AS (
    UPDATE clients_client c
    SET name = %(name)s, name_pinyin = '', name_initials = '', id_number = '', id_last4 = '', birthday = NULL,
        phone = '', phone_alt = '', email = '', address = '', updated_at = now()
    FROM due WHERE c.id = due.id
    RETURNING c.id
)
INSERT INTO privacy_deidentification (client_id, closed_on, due_on, done_at, fields)
SELECT due.id, due.close_date, due.due_on, %(now)s, %(fields)s::jsonb
FROM due JOIN cleared ON cleared.id = due.id
ON CONFLICT (client_id) DO NOTHING
RETURNING client_id, due_on
"""


@transaction.atomic
def deidentify_due(*, on: datetime.date, now: datetime.datetime | None = None) -> int:
    """De-identify every closed client whose retention ended by `on`, in one statement; safe to rerun.

    Each client gets an audit entry (with no personal data in it) in the same transaction.
    """
    import json

    from django.utils import timezone

    now = now or timezone.now()
    with connection.cursor() as cur:
        cur.execute(DEIDENTIFY_SQL, {"years": retention_years(), "on": on, "name": DEIDENTIFIED_NAME,
                                     "now": now, "fields": json.dumps(PERSONAL_FIELDS)})
        done = cur.fetchall()
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=None, action="client.deidentify", object_type="clients.client", object_id=str(pk),
                   client_id=pk, after={"fields": PERSONAL_FIELDS, "due_on": due_on.isoformat(),
                                        "retention_years": retention_years()})
        for pk, due_on in done
    ], batch_size=2000)
    return len(done)


def retention_report(*, on: datetime.date, days: int) -> dict:
    """What is due for de-identification in the next `days` days (overdue included) and what was done."""
    pending = retention_pending(by_date=on + datetime.timedelta(days=days)).select_related("branch")
    done = Deidentification.objects.select_related("client")
    return {"on": on, "days": days, "years": retention_years(), "pending": pending, "done": done}
