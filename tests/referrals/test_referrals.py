"""Client referrals: the flow, conversion per referrer, rewards; the club."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client
from futures_crm.models import AuditEntry
from referrals import selectors, services
from referrals.models import Referral
from tests.factories import ClientFactory

from .conftest import settle

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 2)


def test_referral_flow_dates_each_step(staff, book):
    r = services.referral_create(by=staff["am1"], prospect_name="陈六", referred_on=DAY, referrer_client=book["zhang"])
    assert r.status == "referred"
    r = services.referral_advance(referral=r, status="contacted", on=DAY + datetime.timedelta(days=1), by=staff["am1"])
    with pytest.raises(ValidationError):  # opening needs the account
        services.referral_advance(referral=r, status="opened", on=DAY, by=staff["am1"])
    chen = ClientFactory(name="陈六", branch=book["zhang"].branch, account_manager=staff["am1"])
    r = services.referral_advance(referral=r, status="funded", on=DAY + datetime.timedelta(days=5), by=staff["am1"],
                                  referred_client=chen)
    assert (r.contacted_on, r.opened_on, r.funded_on) == (DAY + datetime.timedelta(days=1),
                                                         DAY + datetime.timedelta(days=5),
                                                         DAY + datetime.timedelta(days=5))
    with pytest.raises(ValidationError):  # never backwards
        services.referral_advance(referral=r, status="contacted", on=DAY, by=staff["am1"])
    assert AuditEntry.objects.filter(action__startswith="referral.").count() == 3


def test_referral_conversion_and_what_referrals_brought(staff, book):
    zhang = book["zhang"]
    branch = zhang.branch
    a = ClientFactory(branch=branch, name="甲")
    b = ClientFactory(branch=branch, name="乙")
    ra = services.referral_create(by=staff["am1"], prospect_name="甲", referred_on=DAY, referrer_client=zhang)
    services.referral_advance(referral=ra, status="funded", on=DAY, by=staff["am1"], referred_client=a)
    rb = services.referral_create(by=staff["am1"], prospect_name="乙", referred_on=DAY, referrer_client=zhang)
    services.referral_advance(referral=rb, status="opened", on=DAY, by=staff["am1"], referred_client=b)
    for name in ("丙", "丁"):
        services.referral_create(by=staff["am1"], prospect_name=name, referred_on=DAY, referrer_client=zhang)
    services.referral_create(by=staff["marketing"], prospect_name="戊", referred_on=DAY,
                             referrer_staff=staff["marketing"])
    # Rows before the account opened do not count as brought by the referral.
    settle(a, DAY - datetime.timedelta(days=1), equity="1", commission="500", exchange_fee="0")
    settle(a, DAY, equity="200000", commission="50.50", exchange_fee="10.10")
    settle(b, DAY, equity="30000", commission="5", exchange_fee="1")
    services.referral_reward_add(referral=ra, by=staff["marketing"], what="交易软件一年", amount=Decimal("600"),
                                 given_on=DAY)
    rows = selectors.referrer_conversion(user=staff["admin"])
    z = next(r for r in rows if r["referrer"] == zhang)
    assert (z["total"], z["contacted"], z["opened"], z["funded"], z["rewards"]) == (4, 2, 2, 1, 1)
    assert z["conversion"] == Decimal("25.0")
    assert z["equity"] == Decimal("230000.00") and z["commission"] == Decimal("44.40")
    m = next(r for r in rows if r["referrer"] == staff["marketing"])
    assert (m["total"], m["funded"], m["commission"]) == (1, 0, Decimal("0"))
    # am1 sees zhang's referrals (their client) but not marketing's staff prospect.
    mine = selectors.referrer_conversion(user=staff["am1"])
    assert [r["referrer"] for r in mine] == [zhang]


def test_imported_referrers_become_referrals(staff, book):
    Client.objects.filter(pk=book["zhao"].pk).update(referrer=book["zhang"])
    assert services.referrals_sync_from_clients() == 1
    assert services.referrals_sync_from_clients() == 0
    r = Referral.objects.get()
    assert (r.referrer_client, r.referred_client, r.status) == (book["zhang"], book["zhao"], "opened")
    rel = selectors.client_relationships(book["zhao"])
    assert rel["referred_by"] == r
    assert list(selectors.client_relationships(book["zhang"])["referred"]) == [r]


def test_club_membership_set_and_audited(staff, book):
    m = services.club_membership_set(client=book["zhang"], by=staff["marketing"], level="gold", status="active",
                                     joined_on=DAY)
    m = services.club_membership_set(client=book["zhang"], by=staff["marketing"], level="diamond", status="active")
    assert m.level == "diamond" and m.joined_on == DAY
    assert AuditEntry.objects.filter(action="club.membership", client=book["zhang"]).count() == 2


def test_relationships_sync_only_the_clients_it_is_given(staff, book):
    from referrals.models import Intermediary, IntermediaryLink

    Intermediary.objects.create(code="IB001", name="周居间")
    Client.objects.filter(pk=book["zhang"].pk).update(intermediary_code="IB001")
    Client.objects.filter(pk=book["zhao"].pk).update(referrer=book["li"])
    only_zhang = Client.objects.filter(pk=book["zhang"].pk)
    assert services.relationships_from_import(clients=only_zhang, by=None) == {"links": 1, "referrals": 0}
    assert not Referral.objects.exists()
    assert services.relationships_from_import(clients=Client.objects.all(), by=None) == {"links": 0, "referrals": 1}
    assert IntermediaryLink.objects.get().client == book["zhang"]
