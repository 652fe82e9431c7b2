"""The officers' portal: each officer sees and downloads only the candidate lists of their own area,
every download is recorded in an append-only, hash-chained audit log, and auditors read that log,
the publication history and the explanation of one person.

Served by `ucj serve`; accounts are managed with `ucj users`. It reads `<publications>/latest`,
never the warehouse.

Modules: `settings` (typed configuration), `db` (SQLite schema), `security` (password hashes,
tokens), `users`, `auth` (throttled login, sessions), `scope` (area scoping, written once),
`publications`, `candidates` (DuckDB queries), `exports` (XLSX/CSV), `audit`, `deps` (FastAPI
dependencies), `routes/`, `app` (`create_app`).

The package imports nothing on its own, so registering `ucj serve`/`ucj users` costs the other `ucj`
commands no start-up time: import `portal.app.create_app` and `portal.settings.PortalSettings`.
"""
