"""Writing the audit trail: services call `audit_record` inside their transaction."""

import datetime
import decimal

from django.db import models

from . import texts
from .models import AuditEntry


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields) -> dict:
    """The given fields of a model instance as JSON-ready values (FKs as ids)."""
    data = {}
    for name in fields:
        field = instance._meta.get_field(name)
        data[name] = _jsonable(getattr(instance, field.attname))
    return data


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values changed."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def audit_record(
    *, actor, action: str, obj: models.Model, client=None, before=None, after=None, reason: str | texts.Text = ""
) -> AuditEntry:
    """Append one entry to the audit trail (`reason` as typed, or a generated texts.Text)."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        client=client,
        before={k: _jsonable(v) for k, v in (before or {}).items()},
        after={k: _jsonable(v) for k, v in (after or {}).items()},
        **texts.fields(reason, "reason"),
    )
