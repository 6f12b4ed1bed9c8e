"""List endpoints and pages run a fixed number of queries, however many rows they show."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import ClubMembership, Intermediary
from tests.factories import ClientFactory

from .conftest import link

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(staff, book):
    ib = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=Decimal("0.4"))
    day = datetime.date(2026, 11, 2)
    for i in range(12):
        c = ClientFactory(branch=book["zhang"].branch, account_manager=staff["am1"], name=f"客户{i}")
        link(c, ib)
        ClubMembership.objects.create(client=c, joined_on=day)
        services.referral_create(by=staff["am1"], prospect_name=f"被推荐{i}", referred_on=day, referrer_client=c)
        services.client_reassign(client=c, to_manager=staff["am2"], by=staff["admin"], reason="调整")
    return ib


@pytest.mark.parametrize("url", ["/api/intermediaries/", "/api/intermediary-links/", "/api/referrals/",
                                 "/api/club-members/", "/api/manager-assignments/", "/api/manager-workload/"])
def test_api_lists_have_a_fixed_query_count(api, staff, many, url, django_assert_max_num_queries):
    rest = api(staff["admin"])
    with django_assert_max_num_queries(8):
        assert rest.get(url).status_code == 200


@pytest.mark.parametrize("name", ["referrals:intermediaries", "referrals:referrals", "referrals:club",
                                  "referrals:workload", "referrals:orphans", "referrals:key_clients",
                                  "referrals:compliance", "referrals:conversion"])
def test_pages_have_a_fixed_query_count(client, staff, many, name, django_assert_max_num_queries):
    client.force_login(staff["admin"])
    with django_assert_max_num_queries(20):
        assert client.get(reverse(name)).status_code == 200
