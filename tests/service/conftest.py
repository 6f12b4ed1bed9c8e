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
