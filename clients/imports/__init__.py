"""Settlement import: the back-office's three kinds of file (clients, accounts, contracts).

formats (columns, aliases, enumerations) → reader (encoding, streaming csv) → validate (per-row
checks) → writer_pg (COPY + set-based SQL on PostgreSQL; pg_file routes a settlement file's lines)
→ services.import_run, which every way in (command, page, API, drop folder) calls. One `run.ImportRun`
carries a file through those steps; `rules` holds the settlement rules every route applies; `hooks`
lets other apps act on a clients file in the same transaction (referrals: referrals, intermediary links).
"""
