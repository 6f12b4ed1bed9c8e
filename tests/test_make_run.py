"""`make run`'s recipe on the embedded database: demo data once, the demo logins printed, the login page served.

The full fresh-clone run (virtualenv and all) is `scripts/smoke_make_run.sh`, a CI step; this test runs
the same manage.py commands the Makefile lists, with this interpreter, in a copy of the project.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "test-artifacts", "node_modules")


def make_run_recipe() -> list[str]:
    out = subprocess.run(["make", "-n", "-W", ".venv/bin/.installed", "run"], cwd=ROOT,  # noqa: S607
                         capture_output=True, text=True, check=True, env={**os.environ, "PY": "true"}).stdout
    return [line for line in out.splitlines() if "manage.py" in line]


def test_make_run_migrates_loads_demo_data_once_and_serves_127_0_0_1_8000():
    recipe = " ".join(make_run_recipe())
    assert "manage.py migrate" in recipe
    assert "manage.py demo_data --if-empty" in recipe
    assert "manage.py runserver 127.0.0.1:8000" in recipe
    assert "DATABASE_URL" not in recipe  # the embedded SQLite database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def project_copy(tmp_path):
    copy = tmp_path / "crm"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    return copy


def test_embedded_database_demo_logins_and_login_page(project_copy):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env["DEBUG"] = "1"

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=project_copy, env=env,  # noqa: S603
                              capture_output=True, text=True, check=True).stdout

    manage("migrate", "--noinput", "-v", "0")
    first = manage("demo_data", "--if-empty", "--clients", "40", "--seed", "1")
    assert "40 clients" in first
    assert "Administrator" in first and "admin" in first and "Account manager" in first and "manager" in first
    again = manage("demo_data", "--if-empty", "--clients", "40", "--seed", "1")
    assert "nothing loaded" in again and "Administrator" in again
    assert (project_copy / "var" / "crm.sqlite3").exists()

    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],  # noqa: S603
                              cwd=project_copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = ""
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:  # noqa: S310
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert 'name="username"' in body and 'name="password"' in body
    finally:
        server.terminate()
        server.wait(timeout=10)
