"""The four consent flags become records: service and marketing, given or withdrawn as each flag said."""

from django.db import migrations

# One set-based insert: 4 channels × 2 purposes per client, stamped with the migration's time.
FORWARD = """
INSERT INTO privacy_consentrecord (client_id, channel, purpose, given, at, how, evidence, recorded_at)
SELECT c.id, f.channel, p.purpose,
       CASE f.channel WHEN 'phone' THEN c.consent_phone WHEN 'sms' THEN c.consent_sms
                      WHEN 'email' THEN c.consent_email ELSE c.consent_wechat END,
       now(), 'migrated', '', now()
FROM clients_client c
CROSS JOIN (VALUES ('phone'), ('sms'), ('email'), ('wechat')) AS f(channel)
CROSS JOIN (VALUES ('service'), ('marketing')) AS p(purpose)
"""
BACKWARD = "DELETE FROM privacy_consentrecord WHERE how = 'migrated'"


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0001_consent_and_access_log"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
