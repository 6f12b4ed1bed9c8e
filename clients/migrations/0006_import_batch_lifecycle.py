"""Batches that end: queued and failed states, progress and a heartbeat, the uploaded file a worker imports.

Batches left "running" by earlier versions (a crash or a timeout between the import and its report) are
marked failed, and the quarantined rows of those unfinished batches are removed: a quarantine belongs
to a batch that finished. Sending the file again is safe (a key imported again replaces its row).
"""

from django.db import migrations, models
from django.utils import timezone

STUCK_MESSAGE = ("This import stopped without finishing (in a version that could leave a batch running); "
                 "its outcome is unknown. Send the file again: rows already stored are replaced, not doubled.")


def fail_stuck_batches(apps, schema_editor):
    ImportBatch = apps.get_model("clients", "ImportBatch")
    QuarantinedRow = apps.get_model("clients", "QuarantinedRow")
    stuck = ImportBatch.objects.filter(status="running")
    QuarantinedRow.objects.filter(batch__in=stuck).delete()
    for batch in stuck:
        batch.status, batch.finished_at = "failed", timezone.now()
        batch.report = {**batch.report, "message": STUCK_MESSAGE, "failure": "stuck"}
        batch.save(update_fields=["status", "finished_at", "report"])


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0005_normalise_client_phones'),
    ]

    operations = [
        migrations.AddField(
            model_name='importbatch',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last sign of life'),
        ),
        migrations.AddField(
            model_name='importbatch',
            name='progress',
            field=models.JSONField(blank=True, default=dict, verbose_name='progress'),
        ),
        migrations.AddField(
            model_name='importbatch',
            name='upload',
            field=models.CharField(blank=True, max_length=255, verbose_name='uploaded file'),
        ),
        migrations.AlterField(
            model_name='importbatch',
            name='status',
            field=models.CharField(choices=[('queued', 'Waiting for a worker'), ('running', 'Running'), ('imported', 'Imported'), ('partial', 'Imported, some rows quarantined'), ('rejected', 'Rejected'), ('duplicate', 'Already imported'), ('failed', 'Failed')], default='running', max_length=16, verbose_name='status'),
        ),
        migrations.RunPython(fail_stuck_batches, migrations.RunPython.noop),
    ]
