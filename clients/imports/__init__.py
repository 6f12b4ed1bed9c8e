"""Settlement import: the back-office's three kinds of file (see settlement-format.md).

formats (columns, aliases, enumerations) → reader (encoding, streaming csv) → validate (per-row
checks) → writer_pg (COPY + one set-based upsert) or writer_sqlite (the embedded database) →
services.import_run, which every way in (command, page, API, drop folder) calls.
"""
