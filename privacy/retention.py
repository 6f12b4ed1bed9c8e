"""Retention (保存期限): a closed account's personal data is kept PERSONAL_DATA_RETENTION_YEARS from its
closing date, then de-identified. The account id, the branch and the settlement figures stay for the books.
"""

import datetime

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateField, TextField, Value, When
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


# Where else a de-identified client's personal data sits: (app, model, path to the client, field → what replaces
# it). Free text written about the client (what was said, asked, answered, complained of), the numbers it
# called from, a converted prospect's card, the referral that brought it in. A required text becomes the marker,
# an optional one empty; an empty text stays empty. Records and their dates, kinds and figures stay.
PERSONAL_DATA_HOLDERS = [
    ("clients", "ContactLog", "client", {"place": "", "summary": DEIDENTIFIED_NAME, "impression": "",
                                         "next_step": ""}),
    ("service", "CommunicationLog", "client", {"subject": "", "body": DEIDENTIFIED_NAME, "detail": ""}),
    ("service", "Ticket", "client", {"subject": DEIDENTIFIED_NAME, "description": "", "caller_phone": ""}),
    # A ticket's timeline: typed comments; a generated text renders from its code, its stored copy goes.
    ("service", "TicketEvent", "ticket__client", {"text": ""}),
    ("service", "ReturnVisit", "client", {"questions": "", "answers": "", "notes": ""}),
    ("service", "Survey", "client", {"suggestion": "", "comments": ""}),
    ("service", "ActivityRecipient", "client", {"response": ""}),
    ("service", "Task", "client", {"outcome": ""}),
    ("service", "Prospect", "client", {"name": DEIDENTIFIED_NAME, "phone": "", "email": "", "notes": ""}),
    ("service", "ProspectVisit", "prospect__client", {"said": DEIDENTIFIED_NAME, "impression": "",
                                                      "failure_reason": "", "service_given": "", "assessment": ""}),
    ("referrals", "Referral", "referred_client", {"prospect_name": DEIDENTIFIED_NAME, "prospect_phone": "",
                                                  "note": ""}),
]
# The audit trail's before/after values of these client fields are replaced too (an address change keeps that
# the address changed, not what it was).
AUDITED_PERSONAL_KEYS = [*PERSONAL_FIELDS, "id_last4", "name_pinyin", "name_initials"]


def replaced_fields() -> list[str]:
    """What a de-identification replaces: the client's fields, then `app.Model.field` elsewhere."""
    return [*PERSONAL_FIELDS, *(f"{app}.{model}.{name}" for app, model, _path, fields in PERSONAL_DATA_HOLDERS
                                for name in fields), "futures_crm.AuditEntry.before/after"]


DUE_SQL = """
    SELECT c.id FROM clients_client c
    WHERE c.status = 'closed' AND c.close_date IS NOT NULL
      AND (c.close_date + make_interval(years => %(years)s))::date <= %(on)s
      AND NOT EXISTS (SELECT 1 FROM privacy_deidentification d WHERE d.client_id = c.id)
    ORDER BY c.id
    LIMIT %(limit)s
    FOR UPDATE OF c SKIP LOCKED
"""

CLEAR_SQL = """
WITH cleared AS (
    UPDATE clients_client c
    SET name = %(name)s, name_pinyin = '', name_initials = '', id_number = '', id_last4 = '', birthday = NULL,
        phone = '', phone_alt = '', email = '', address = '', updated_at = now()
    WHERE c.id = ANY(%(ids)s)
    RETURNING c.id, c.close_date, (c.close_date + make_interval(years => %(years)s))::date AS due_on
)
INSERT INTO privacy_deidentification (client_id, closed_on, due_on, done_at, fields)
SELECT cleared.id, cleared.close_date, cleared.due_on, %(now)s, %(fields)s::jsonb
FROM cleared
ON CONFLICT (client_id) DO NOTHING
RETURNING client_id, due_on
"""

# Each JSON object's personal keys given the marker, the other keys kept.
AUDIT_SCRUB_SQL = """
UPDATE futures_crm_auditentry SET
    before = CASE WHEN jsonb_typeof(before) = 'object' AND before ?| %(keys)s::text[] THEN
        (SELECT jsonb_object_agg(k, CASE WHEN k = ANY(%(keys)s::text[]) THEN to_jsonb(%(mark)s::text) ELSE v END)
         FROM jsonb_each(before) AS e(k, v)) ELSE before END,
    after = CASE WHEN jsonb_typeof(after) = 'object' AND after ?| %(keys)s::text[] THEN
        (SELECT jsonb_object_agg(k, CASE WHEN k = ANY(%(keys)s::text[]) THEN to_jsonb(%(mark)s::text) ELSE v END)
         FROM jsonb_each(after) AS e(k, v)) ELSE after END
WHERE client_id = ANY(%(ids)s) AND (before ?| %(keys)s::text[] OR after ?| %(keys)s::text[])
"""


def _clear_holders(ids: list[int]) -> None:
    """Replace the personal data the other records hold of these clients: one UPDATE per holder."""
    for app, model_name, path, fields in PERSONAL_DATA_HOLDERS:
        model = apps.get_model(app, model_name)
        rows = model.objects.filter(**{f"{path}__in": ids})
        rows.update(**{name: Value("") if not marker else
                       Case(When(**{name: ""}, then=Value("")), default=Value(marker), output_field=TextField())
                       for name, marker in fields.items()})


def _deidentify_batch(*, on: datetime.date, now: datetime.datetime, limit: int) -> list[tuple[int, datetime.date]]:
    """One batch, in one transaction: the clients due (locked; a concurrent run skips them), every holder of their
    data, the audit trail's values, the clients themselves, the record of it and its audit entries."""
    import json

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(DUE_SQL, {"years": retention_years(), "on": on, "limit": limit})
        ids = [row[0] for row in cur.fetchall()]
        if not ids:
            return []
        _clear_holders(ids)
        cur.execute(AUDIT_SCRUB_SQL, {"ids": ids, "keys": AUDITED_PERSONAL_KEYS, "mark": DEIDENTIFIED_NAME})
        cur.execute(CLEAR_SQL, {"ids": ids, "years": retention_years(), "name": DEIDENTIFIED_NAME, "now": now,
                                "fields": json.dumps(replaced_fields())})
        done = cur.fetchall()
        AuditEntry.objects.bulk_create([
            AuditEntry(actor=None, action="client.deidentify", object_type="clients.client", object_id=str(pk),
                       client_id=pk, after={"fields": replaced_fields(), "due_on": due_on.isoformat(),
                                            "retention_years": retention_years()})
            for pk, due_on in done
        ], batch_size=2000)
    return done


def deidentify_due(*, on: datetime.date, now: datetime.datetime | None = None, batch_size: int = 500) -> int:
    """De-identify every closed client whose retention ended by `on`, `batch_size` clients per transaction.

    Restartable: a run stopped half way leaves every client either wholly de-identified (with its record and audit
    entry) or untouched, and the next run picks up the rest; a rerun finds nothing to do.
    """
    from django.utils import timezone

    now = now or timezone.now()
    total = 0
    while done := _deidentify_batch(on=on, now=now, limit=batch_size):
        total += len(done)
    return total


def retention_report(*, on: datetime.date, days: int) -> dict:
    """What is due for de-identification in the next `days` days (overdue included) and what was done."""
    pending = retention_pending(by_date=on + datetime.timedelta(days=days)).select_related("branch")
    done = Deidentification.objects.select_related("client")
    return {"on": on, "days": days, "years": retention_years(), "pending": pending, "done": done}
