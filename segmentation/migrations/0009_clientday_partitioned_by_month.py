"""ClientDay becomes range-partitioned by month on trade_date (issue 16), so the nightly prune drops a month.

A partitioned table's primary key must hold the partition column: the surrogate `id` goes and the natural
key (trade_date, client), unique already, becomes the primary key. See clients/partitions.py.
"""

from django.db import migrations, models

from clients.partitions import partition_table


def partition(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("ALTER TABLE segmentation_clientday DROP CONSTRAINT clientday_uniq")
        partition_table(cur, "segmentation_clientday", "trade_date, client_id", drop_columns=("id",))


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0015_settlement_partitioned_by_month"),
        ("segmentation", "0008_dashboard_from_indicator_snapshot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(model_name="clientday", name="clientday_uniq"),
            migrations.RemoveField(model_name="clientday", name="id"),
            migrations.AddField(
                model_name="clientday", name="pk",
                field=models.CompositePrimaryKey("trade_date", "client", blank=True, editable=False,
                                                 primary_key=True, serialize=False),
            ),
        ]),
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
