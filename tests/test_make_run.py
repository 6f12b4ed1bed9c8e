"""`make run`'s recipe on the project's own PostgreSQL: demo data once, the demo logins printed, the login page served.

The full fresh-clone run (virtualenv and all) is `scripts/smoke_make_run.sh`, a CI step; this test runs
the same manage.py commands the Makefile lists, with this interpreter, in a copy of the project.
"""

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "test-artifacts", "node_modules")


def make_run_recipe() -> list[str]:
    out = subprocess.run(["make", "-n", "-W", ".venv/bin/.installed", "run"], cwd=ROOT,  # noqa: S607
                         capture_output=True, text=True, check=True, env={**os.environ, "PY": "true"}).stdout
    return [line for line in out.splitlines() if "compilemessages" not in line]


def test_make_run_migrates_loads_demo_data_once_and_serves_127_0_0_1_8000_on_the_embedded_server():
    recipe = " ".join(make_run_recipe())
    assert "-m futures_crm.embedded_db run" in recipe  # the project's own PostgreSQL holds for the whole run
    assert "manage.py migrate" in recipe
    assert "manage.py demo_data --if-empty" in recipe
    assert "manage.py runserver 127.0.0.1:8000" in recipe
    assert "DATABASE_URL=" not in recipe.split("embedded_db run", 1)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def project_copy():
    # Not under pytest's own temporary root: another pytest session starting on this machine resets that
    # folder to 0700, and the embedded server (run as its own system user under root) would lose its data.
    copy = Path(tempfile.mkdtemp(prefix="crm-make-run-")) / "crm"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    yield copy
    shutil.rmtree(copy.parent, ignore_errors=True)


def _postgres_running_on(pgdata: Path) -> bool:
    out = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    return any(line.split()[0].endswith("/postgres") and str(pgdata) in line for line in out.splitlines() if line)


SHOW_SERVER = ("from django.db import connection as c; cur = c.cursor(); "
               "cur.execute(\"SELECT current_setting('data_directory'), current_setting('server_version_num'), "
               "current_setting('listen_addresses')\"); print('SERVER', *cur.fetchone())")


def test_embedded_postgres_demo_logins_login_page_and_a_restart_that_reuses_the_data(project_copy):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env["DEBUG"] = "1"
    pgdata = project_copy / "var" / "pgdata"
    port = _free_port()
    script = (f"{sys.executable} manage.py migrate --noinput -v 0 && "
              f"{sys.executable} manage.py demo_data --if-empty --clients 40 --seed 1 && "
              f"{sys.executable} manage.py shell -c {shlex.quote(SHOW_SERVER)} && "
              f"exec {sys.executable} manage.py runserver 127.0.0.1:{port} --noreload")
    run = subprocess.Popen([sys.executable, "-m", "futures_crm.embedded_db", "run", "sh", "-c", script],  # noqa: S603
                           cwd=project_copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = ""
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:  # noqa: S310
                    body = response.read().decode()
                break
            except OSError:
                assert run.poll() is None, run.stdout.read()
                time.sleep(0.5)
        assert 'name="username"' in body and 'name="password"' in body
        assert _postgres_running_on(pgdata)
    finally:
        run.terminate()
        output = run.communicate(timeout=60)[0]
    assert "Administrator" in output and "Account manager" in output and "40 clients" in output
    server = next(line.split()[1:] for line in output.splitlines() if line.startswith("SERVER "))
    # The app talked to the project's own server: its data under var/, PostgreSQL 18, no TCP port at all.
    assert server[0] == str(pgdata) and int(server[1]) >= 180000 and server[2:] == []
    assert "Embedded PostgreSQL stopped." in output and not _postgres_running_on(pgdata)

    # The next start reuses the data: nothing is loaded twice.
    again = subprocess.run([sys.executable, "-m", "futures_crm.embedded_db", "run", sys.executable, "manage.py",  # noqa: S603
                            "demo_data", "--if-empty", "--clients", "40", "--seed", "1"],
                           cwd=project_copy, env=env, capture_output=True, text=True, check=True).stdout
    assert "nothing loaded" in again and "Administrator" in again
    assert not _postgres_running_on(pgdata)


def test_make_test_says_in_one_line_when_postgres_or_redis_is_unreachable():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "scripts/check_services.py", "postgres://postgres@127.0.0.1:1/x", "redis://127.0.0.1:1/0"],
        cwd=ROOT, capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert len(lines) == 2 and "PostgreSQL is not reachable" in lines[0] and "Redis is not reachable" in lines[1]
