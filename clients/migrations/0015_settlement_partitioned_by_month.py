"""The settlement tables become range-partitioned by month on trade_date (issue 16).

The primary keys keep their columns and meaning; each month is its own table (`…_pYYYYMM`), with a
default partition for rows of a month not created yet. Existing rows are moved into their months.
Django's model state does not change: partitioning is invisible to the ORM. See clients/partitions.py.
"""

from django.db import migrations

from clients.partitions import partition_table

KEYS = {
    "clients_accountsettlement": "trade_date, client_id",
    "clients_contractsettlement": "trade_date, client_id, instrument, hedge_flag",
}


def partition(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for table, key in KEYS.items():
            partition_table(cur, table, key)


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0014_client_search_indexes"),
    ]

    operations = [
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
