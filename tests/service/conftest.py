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
