"""Staging tables of the nightly engine (PostgreSQL only): each run computes into rows tagged with its id,
and one transaction swaps them into the published tables, so a killed run never leaves half a night."""

from django.db import migrations

STAGE_SQL = """
CREATE UNLOGGED TABLE IF NOT EXISTS segmentation_stage_metrics
    (run_id bigint NOT NULL, LIKE segmentation_clientmetrics);
CREATE INDEX IF NOT EXISTS segmentation_stage_metrics_run ON segmentation_stage_metrics (run_id, client_id);
CREATE UNLOGGED TABLE IF NOT EXISTS segmentation_stage_segment (
    run_id bigint NOT NULL,
    client_id bigint NOT NULL,
    purpose varchar(16), fund_size varchar(16), volume varchar(16), tenure varchar(8),
    prev_purpose varchar(16), prev_fund_size varchar(16), prev_volume varchar(16), prev_tenure varchar(8),
    churn_score smallint NOT NULL DEFAULT 0,
    churn_signals jsonb NOT NULL DEFAULT '[]',
    churned boolean NOT NULL DEFAULT false,
    lifetime_value numeric(18, 2),
    loyalty_points smallint NOT NULL DEFAULT 0,
    loyal boolean NOT NULL DEFAULT false,
    loyalty_criteria jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS segmentation_stage_segment_run ON segmentation_stage_segment (run_id, client_id);
"""

DROP_SQL = "DROP TABLE IF EXISTS segmentation_stage_metrics; DROP TABLE IF EXISTS segmentation_stage_segment;"


def create(apps, schema_editor):
    schema_editor.execute(STAGE_SQL)


def drop(apps, schema_editor):
    schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0002_engine")]
    operations = [migrations.RunPython(create, drop)]
