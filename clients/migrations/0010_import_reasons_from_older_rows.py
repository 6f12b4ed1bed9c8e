"""Older rejected rows' reasons (in a batch's report and in the quarantine) and refused files' reasons, written out
in English or Chinese, given their codes where recognised (futures_crm.texts, clients.texts ROW_REASONS and
FILE_REASONS); anything else stays as stored and still shows as written."""

from django.db import migrations

CHUNK = 2000
# Chinese wordings since improved: rows written in Chinese (an import run in a Chinese request) said these.
OLDER = {"row.required": ["为必填项"], "row.not_decimal": ["“%(v)s”不是十进制金额"],
         "row.not_id_card": ["这不是有效的居民身份证号码：应为 18 位，最后一位为校验码。"],
         "row.not_uscc": ["这不是有效的统一社会信用代码：应为 18 位，最后一位为校验码。"]}


def forward(apps, schema_editor):
    from clients.texts import FILE_REASONS, ROW_REASONS
    from futures_crm import texts

    row_reason, file_reason = texts.parser(ROW_REASONS, OLDER), texts.parser(FILE_REASONS)

    def coded(errors):
        """The entries with reason_code and reason_params added where the reason is recognised."""
        out = []
        for entry in errors or []:
            found = None
            if isinstance(entry, dict) and "reason_code" not in entry and isinstance(entry.get("reason"), str):
                found = row_reason(entry["reason"])
            out.append({**entry, "reason_code": found[0], "reason_params": found[1]} if found else entry)
        return out

    ImportBatch = apps.get_model("clients", "ImportBatch")
    for batch in ImportBatch.objects.only("report").iterator(chunk_size=CHUNK):
        report = dict(batch.report or {})
        if report.get("errors"):
            report["errors"] = coded(report["errors"])
        file_error = report.get("file_error")
        found = file_reason(file_error) if isinstance(file_error, str) and "file_error_code" not in report else None
        if found:
            report.update(file_error_code=found[0], file_error_params=found[1])
            if report.get("message") == file_error:  # the batch's outcome was the same sentence
                report["message"] = {"code": found[0], "params": found[1], "text": file_error}
        if report != (batch.report or {}):
            ImportBatch.objects.filter(pk=batch.pk).update(report=report)

    QuarantinedRow = apps.get_model("clients", "QuarantinedRow")
    changed = []
    for row in QuarantinedRow.objects.only("errors").iterator(chunk_size=CHUNK):
        errors = coded(row.errors)
        if errors != row.errors:
            row.errors = errors
            changed.append(row)
        if len(changed) >= CHUNK:
            QuarantinedRow.objects.bulk_update(changed, ["errors"])
            changed = []
    QuarantinedRow.objects.bulk_update(changed, ["errors"])


class Migration(migrations.Migration):
    dependencies = [("clients", "0009_consent_flags_are_a_cache")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
