"""List pages, export and API lists cost the same number of queries for 3 clients or 30 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URLS = ["/clients/", "/clients/?export=csv", "/clients/?export=xlsx", "/clients/?q=zs&ordering=-name"]


def count(fetch) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", URLS)
def test_page_and_export_queries_do_not_grow_with_rows(client, staff, branches, url):
    client.force_login(staff["admin"])
    ClientFactory.create_batch(3, branch=branches[0], account_manager=staff["am1"])
    few = count(lambda: client.get(url))
    ClientFactory.create_batch(27, branch=branches[1], account_manager=staff["am2"])
    assert count(lambda: client.get(url)) == few


def test_api_list_queries_do_not_grow_with_rows(api, staff, branches):
    rest = api(staff["head"])
    ClientFactory.create_batch(3, branch=branches[0], account_manager=staff["am1"])
    few = count(lambda: rest.get("/api/clients/"))
    ClientFactory.create_batch(27, branch=branches[1], account_manager=staff["am2"])
    assert count(lambda: rest.get("/api/clients/")) == few
