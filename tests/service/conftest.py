import datetime
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    """An aware Asia/Shanghai datetime."""
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture
def page(client):
    """Log a user into the Django test client and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Ten staff users per test: the production hasher would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def service_defaults(request):
    """Transactional tests flush the tables after each run, seeded rows included: seed them again."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        importlib.import_module("service.migrations.0003_defaults").seed(apps, None)
        importlib.import_module("service.migrations.0005_generated_texts_from_older_rows").forward(apps, None)
