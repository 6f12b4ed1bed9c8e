"""The settlement tables' natural key becomes their primary key and their only index.

Django cannot migrate a table to a composite primary key by itself, so the state change (no `id`,
`pk = CompositePrimaryKey(...)`) is paired with the SQL that does it. The (trade_date, client …)
order makes a bulk import append at the index's right edge; see docs/BENCHMARKS.md, issue 3.
"""

from django.db import migrations, models

TABLES = {
    "accountsettlement": ("account_settlement_day_uniq", "clients_acc_client__49a3b2_idx", "trade_date, client_id"),
    "contractsettlement": ("contract_settlement_day_uniq", "clients_con_client__d79b2b_idx",
                           "trade_date, client_id, instrument, hedge_flag"),
}


def natural_keys(apps, schema_editor):
    for name, (unique, index, key) in TABLES.items():
        model = apps.get_model("clients", name)
        table = model._meta.db_table
        for sql in (f"ALTER TABLE {table} DROP CONSTRAINT {unique}", f"DROP INDEX {index}",
                    f"ALTER TABLE {table} DROP COLUMN id", f"ALTER TABLE {table} ADD PRIMARY KEY ({key})"):
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0003_settlement_lean_client_fk"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(model_name="accountsettlement", name="account_settlement_day_uniq"),
            migrations.RemoveConstraint(model_name="contractsettlement", name="contract_settlement_day_uniq"),
            migrations.RemoveIndex(model_name="accountsettlement", name="clients_acc_client__49a3b2_idx"),
            migrations.RemoveIndex(model_name="contractsettlement", name="clients_con_client__d79b2b_idx"),
            migrations.RemoveField(model_name="accountsettlement", name="id"),
            migrations.RemoveField(model_name="contractsettlement", name="id"),
            migrations.AddField(
                model_name="accountsettlement", name="pk",
                field=models.CompositePrimaryKey("trade_date", "client", blank=True, editable=False,
                                                 primary_key=True, serialize=False),
            ),
            migrations.AddField(
                model_name="contractsettlement", name="pk",
                field=models.CompositePrimaryKey("trade_date", "client", "instrument", "hedge_flag", blank=True,
                                                 editable=False, primary_key=True, serialize=False),
            ),
        ]),
        migrations.RunPython(natural_keys, migrations.RunPython.noop),
    ]
