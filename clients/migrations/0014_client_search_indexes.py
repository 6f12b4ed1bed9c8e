"""Client search at a million clients: every branch of the search box is an index lookup (issue 16).

- A name fragment: `client_name_grams(name)` is the set of its single characters and pairs of neighbouring
  characters (upper-cased); a GIN index on it finds the names holding every pair of the fragment (one
  character: holding it), and `name ILIKE` then checks the order. Its declared cost keeps the planner from
  computing it row by row (walking the account-number index to the first 50 matches). Chinese names are two to four characters,
  so pg_trgm's three-character grams cannot serve a two-character search; pairs can.
- A phone fragment (staff who see phones: any four digits or more): trigram GIN indexes (pg_trgm).
- Pinyin and initials prefixes: finer statistics, so the planner knows "suny" is rare and looks it up rather
  than walking the account numbers in order until 50 match.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

NAME_GRAMS = """
CREATE FUNCTION client_name_grams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(upper(name), i, 1) AS g FROM generate_series(1, length(name)) AS i
        UNION ALL
        SELECT substr(upper(name), i, 2) FROM generate_series(1, length(name) - 1) AS i
    ) AS grams
$$;
CREATE INDEX clients_client_name_grams ON clients_client USING gin (client_name_grams(name));
CREATE INDEX clients_client_phone_trgm ON clients_client USING gin (phone gin_trgm_ops);
CREATE INDEX clients_client_phone_alt_trgm ON clients_client USING gin (phone_alt gin_trgm_ops);
ALTER TABLE clients_client ALTER COLUMN name_pinyin SET STATISTICS 1000, ALTER COLUMN name_initials SET STATISTICS 1000;
"""

DROP = """
ALTER TABLE clients_client ALTER COLUMN name_pinyin SET STATISTICS -1, ALTER COLUMN name_initials SET STATISTICS -1;
DROP INDEX clients_client_phone_alt_trgm;
DROP INDEX clients_client_phone_trgm;
DROP INDEX clients_client_name_grams;
DROP FUNCTION client_name_grams(text);
"""


class Migration(migrations.Migration):
    dependencies = [("clients", "0013_eligibility_rules_and_evidence")]

    operations = [TrigramExtension(), migrations.RunSQL(NAME_GRAMS, DROP)]
