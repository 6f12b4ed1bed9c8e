"""Older import batches' outcome and warnings (written out in English or Chinese) mapped back to their codes
where recognised (futures_crm.texts); anything else stays as stored and still shows."""

from django.db import migrations

MESSAGES = ["import.imported", "import.partial", "import.rejected_file", "import.timeout", "import.stopped",
            "import.failed", "import.stale", "import.not_started", "import.worker_lost", "import.not_queued",
            "import.in_progress", "import.duplicate"]
WARNINGS = ["import.unknown_columns", "import.repeated_keys", "import.settlement_mismatch",
            "import.settlement_mismatch_more", "import.branches_created", "import.placeholders"]


def forward(apps, schema_editor):
    from futures_crm import texts

    def coded(value, codes):
        found = texts.parse(value, codes) if isinstance(value, str) else None
        return {"code": found[0], "params": found[1], "text": value} if found else value

    ImportBatch = apps.get_model("clients", "ImportBatch")
    for batch in ImportBatch.objects.only("report", "warnings").iterator():
        report = dict(batch.report or {})
        if "message" in report:
            report["message"] = coded(report["message"], MESSAGES)
        warnings = [coded(w, WARNINGS) for w in batch.warnings or []]
        if report != (batch.report or {}) or warnings != (batch.warnings or []):
            ImportBatch.objects.filter(pk=batch.pk).update(report=report, warnings=warnings)


class Migration(migrations.Migration):
    dependencies = [("clients", "0007_key_client_proposal")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
