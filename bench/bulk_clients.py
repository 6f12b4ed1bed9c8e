"""Grow a demo database to a large client book with set-based SQL (issue 16: the pages at 1,000,000 clients).

    DEBUG=1 DATABASE_URL=postgres://…/db python bench/bulk_clients.py --total 1000000

The database must already hold a demo (`manage.py demo_data --clients 2000`): its branches, managers, staff
and service desk. This adds clients until there are `--total`, with `INSERT … SELECT generate_series` in
chunks (no Python per row): Chinese names from the demo's word lists with their pinyin keys, unique mobile
numbers, ID numbers (and their last four), types, statuses, channels and risk levels in the demo's
proportions, spread over every account manager of every branch; each new client also gets a segment row
(the list and the screen-pop show it). Settlement history is not generated: the pages read only a client's
own recent rows (see bench/clients_pages.py). Ends with VACUUM (ANALYZE), as autovacuum would.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")

CLIENTS_SQL = """
WITH m AS (SELECT array_agg(u.id ORDER BY u.id) AS ids, array_agg(p.branch_id ORDER BY u.id) AS branches
           FROM auth_user u JOIN clients_staffprofile p ON p.user_id = u.id
           WHERE p.role = 'account_manager' AND p.is_active AND u.is_active),
s AS (SELECT i, ((i * 2654435761) %% 4294967296) AS h FROM generate_series(%(start)s, %(stop)s - 1) AS i),
n AS (SELECT i, h, (h %% %(surnames)s) + 1 AS a, ((h / 97) %% %(given)s) + 1 AS b, ((h / 9973) %% %(given)s) + 1 AS c,
             date '1950-01-01' + ((h / 13) %% 18000)::int AS birthday, m.ids, m.branches,
             1 + (i %% array_length(m.ids, 1)) AS k
      FROM s, m)
INSERT INTO clients_client (
    created_at, updated_at, account_id, name, name_pinyin, name_initials, client_type, id_type, id_number, id_last4,
    birthday, gender, phone, phone_alt, email, province, city, address, occupation, industry, spot_products,
    open_date, close_date, status, churn_reason, channel, intermediary_code, investor_class, risk_level, tags,
    is_key, consent_phone, consent_sms, consent_email, consent_wechat, profile_complete, account_manager_id,
    branch_id, key_proposal_note)
SELECT now(), now(), '9' || lpad(i::text, 9, '0'),
       (%(sn)s::text[])[a] || (%(gn)s::text[])[b] || (%(gn)s::text[])[c],
       (%(sp)s::text[])[a] || (%(gp)s::text[])[b] || (%(gp)s::text[])[c],
       left((%(sp)s::text[])[a], 1) || left((%(gp)s::text[])[b], 1) || left((%(gp)s::text[])[c], 1),
       'individual', 'id_card', id18, right(id18, 4),
       birthday, CASE WHEN h %% 2 = 0 THEN 'male' ELSE 'female' END,
       '1' || (3 + (h %% 6))::text || lpad(i::text, 9, '0'), '', '', '上海', '上海', '', '', '', '',
       date '2026-11-27' - ((h / 7) %% 4000)::int, NULL,
       (ARRAY['active','active','active','dormant','closed'])[1 + (h / 11) %% 5], '',
       (ARRAY['staff','marketing','referral','research','intermediary','online'])[1 + (h / 17) %% 6], '',
       'ordinary', (ARRAY['C1','C2','C3','C3','C4','C5'])[1 + (h / 19) %% 6], '[]'::jsonb,
       false, true, true, false, false, true, ids[k], branches[k], ''
FROM (SELECT *, '310115' || to_char(birthday, 'YYYYMMDD') || lpad((i %% 1000)::text, 3, '0')
                 || (i %% 10)::text AS id18 FROM n) AS x
"""

SEGMENTS_SQL = """
INSERT INTO segmentation_clientsegment (client_id, as_of, policy_version, purpose, fund_size, volume, tenure,
    churn_score, churn_signals, churned, lifetime_value, loyalty_points, loyal, loyalty_criteria)
SELECT c.id, date '2026-11-27', 1, (ARRAY['speculator','speculator','hedger'])[1 + c.id %% 3],
       (ARRAY['retail','retail','medium','large'])[1 + c.id %% 4],
       (ARRAY['dormant','ordinary','ordinary','key_service'])[1 + c.id %% 4],
       (ARRAY['new','old','old'])[1 + c.id %% 3], (c.id %% 100)::smallint, '[]'::jsonb, false, NULL,
       (c.id %% 50)::smallint, false, '[]'::jsonb
FROM clients_client c
WHERE c.account_id >= '9' || lpad(%(start)s::text, 9, '0') AND c.account_id < '9' || lpad(%(stop)s::text, 9, '0')
ON CONFLICT (client_id) DO NOTHING
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=1_000_000, help="clients in the table when done")
    parser.add_argument("--chunk", type=int, default=100_000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection, transaction

    from clients.demo.names import GIVEN_CHARS, SURNAMES
    from clients.models import Client
    from clients.pinyin import pinyin_keys

    surnames = list(dict.fromkeys(SURNAMES))
    given = list(dict.fromkeys(GIVEN_CHARS))
    words = {"sn": surnames, "sp": [pinyin_keys(s, person=True)[0] for s in surnames],
             "gn": given, "gp": [pinyin_keys(g)[0] for g in given],
             "surnames": len(surnames), "given": len(given)}
    have = Client.objects.count()
    first = Client.objects.filter(account_id__startswith="9").count()  # bulk clients already there
    started = time.perf_counter()
    start = first
    while have < args.total:
        stop = start + min(args.chunk, args.total - have)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLIENTS_SQL, {**words, "start": start, "stop": stop})
            added = cursor.rowcount
            cursor.execute(SEGMENTS_SQL, {"start": start, "stop": stop})
        have += added
        start = stop
        print(f"{have} clients ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:  # statistics, and the visibility map index-only scans (counts) need
        cursor.execute("VACUUM (ANALYZE) clients_client")
        cursor.execute("VACUUM (ANALYZE) segmentation_clientsegment")
    print(f"done: {Client.objects.count()} clients in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
