"""Production configuration: `check --deploy` is clean, and docker-compose.yml matches the project."""

import importlib
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "futures_crm" / "settings.py").read_text()
# Every environment variable settings.py reads: env("X"), env.bool("X"), env.db("X"), …
SETTINGS_ENV = set(re.findall(r"""env(?:\.\w+)?\(\s*["'](\w+)["']""", SETTINGS_SOURCE))
APP_SERVICES = ("web", "worker", "beat")


def test_check_deploy_is_clean_with_production_like_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL="postgres://crm@db.example.com:5432/crm",
               ALLOWED_HOSTS="crm.example.com")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _compose_value(value: str, dotenv: dict) -> str:
    """`${NAME:-default}` / `${NAME:?message}` as docker compose resolves them (from the .env file)."""
    def resolve(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in dotenv and dotenv[name] != "":
            return dotenv[name]
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", resolve, str(value))


def test_check_deploy_is_clean_with_exactly_what_compose_and_the_env_example_ship(compose):
    """The web container's environment as `cp .env.example .env` (with a real key) + `docker compose up` give it."""
    dotenv = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z_]+=", line):
            name, value = line.split("=", 1)
            dotenv[name] = value
    dotenv["SECRET_KEY"] = secrets.token_urlsafe(50)  # the one value the README says to set
    web = {**dotenv, **{k: _compose_value(v, dotenv) for k, v in compose["services"]["web"]["environment"].items()}}
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(web)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert web["SECURE_SSL_REDIRECT"] == "1" and web["CSRF_TRUSTED_ORIGINS"].startswith("https://")


def test_only_the_tls_proxy_publishes_a_port_and_it_forwards_to_the_web_app(compose):
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert any("deploy/Caddyfile" in volume for volume in compose["services"]["proxy"]["volumes"])


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_stack(compose):
    assert {"web", "worker", "beat", "db", "redis"} <= set(compose["services"])
    assert compose["services"]["db"]["image"].startswith("postgres")
    assert compose["services"]["redis"]["image"].startswith("redis")
    assert (ROOT / "Dockerfile").exists()


# What `make test` and CI run the suite on (this machine's PostgreSQL); `make run`'s embedded server is 18.
CI_POSTGRES_MAJOR = 15


@pytest.mark.django_db
def test_compose_database_is_a_postgresql_major_version_this_suite_runs_on(compose):
    from django.db import connection

    image = compose["services"]["db"]["image"]  # e.g. postgres:15-alpine
    major = int(image.split(":", 1)[1].split("-", 1)[0].split(".", 1)[0])
    assert major == CI_POSTGRES_MAJOR
    assert connection.pg_version // 10000 >= major  # the server under this run is that version or newer


def _command(service) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_commands_point_at_real_modules(compose):
    services = compose["services"]
    web = " ".join(_command(services["web"]))
    match = re.search(r"gunicorn ([\w.]+):(\w+)", web)
    assert match, web
    assert hasattr(importlib.import_module(match.group(1)), match.group(2))
    assert "manage.py migrate" in web
    for name, role in (("worker", "worker"), ("beat", "beat")):
        args = _command(services[name])
        assert args[0] == "celery" and args[args.index("-A") + 1] == "futures_crm" and role in args
    from celery import Celery

    assert isinstance(importlib.import_module("futures_crm.celery").app, Celery)
    assert "gunicorn" in (ROOT / "requirements.txt").read_text()


def test_compose_environment_names_are_ones_settings_reads(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        unknown = set(env) - SETTINGS_ENV
        assert not unknown, f"{name} sets variables settings.py never reads: {unknown}"
        assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(env)
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert set(compose["services"][name]["depends_on"]) == {"db", "redis"}


def test_env_example_only_names_settings_or_compose_variables(compose):
    compose_vars = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    names = {line.lstrip("# ").split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
             if re.match(r"^#?\s?[A-Z_]+=", line)}
    assert names and not names - SETTINGS_ENV - compose_vars, names - SETTINGS_ENV - compose_vars
