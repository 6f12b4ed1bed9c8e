"""The demo history is valid import data and gives the mixes the segmentation rules need."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum

from clients.demo_settlement import PROFILES, profile_for
from clients.models import AccountSettlement, Client, ContractSettlement
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_demo_settlement_imports_cleanly_with_every_profile(branches):
    sh, _bj = branches
    for n in range(120):
        ClientFactory(account_id=f"6{n:09d}", branch=sh, open_date=datetime.date(2020, 1, 2),
                      client_type="spot_enterprise" if n % 20 == 0 else "individual")
    call_command("demo_settlement", "--days", "30", "--end", "2025-06-30")
    assert AccountSettlement.objects.count() == 120 * 30
    assert {profile_for(c.account_id, c.client_type).name for c in Client.objects.all()} == {p.name for p in PROFILES}
    # Identities of the format: the balance carries over, commission covers the exchange fee.
    for client in Client.objects.all()[:20]:
        rows = list(client.account_settlements.order_by("trade_date"))
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.pre_balance == before.balance
    assert not AccountSettlement.objects.filter(exchange_fee__gt=F("commission")).exists()
    # Hedgers carry hedge flags; scalpers end their days flat with many lots.
    def ids(profile):
        return [c.pk for c in Client.objects.all() if profile_for(c.account_id, c.client_type).name == profile]

    hedgers = ids("hedger")
    assert ContractSettlement.objects.filter(client_id__in=hedgers, hedge_flag="hedge").exists()
    scalpers = ids("scalper")
    flat = ContractSettlement.objects.filter(client_id__in=scalpers).aggregate(
        held=Sum("long_position") + Sum("short_position"), lots=Sum("buy_lots") + Sum("sell_lots"))
    assert flat["held"] == 0 and flat["lots"] > 1000
    dormant = ids("dormant")
    assert not ContractSettlement.objects.filter(client_id__in=dormant).exists()
    # Contract rows add up to their account row.
    sums = (ContractSettlement.objects.values("client_id", "trade_date").annotate(c=Sum("commission"))
            .order_by("client_id", "trade_date"))
    sample = sums.first()
    assert AccountSettlement.objects.get(client_id=sample["client_id"], trade_date=sample["trade_date"]).commission \
        == sample["c"]
    assert AccountSettlement.objects.filter(equity__gte=Decimal("5000000")).exists()
    assert AccountSettlement.objects.aggregate(n=Count("trade_date", filter=Q(withdrawal__gt=0)))["n"] > 0


def test_demo_data_days_adds_settlement_history():
    call_command("demo_data", "--clients", "30", "--seed", "3", "--today", "2025-06-30", "--days", "5")
    assert AccountSettlement.objects.values("trade_date").distinct().count() == 5
    opened = Client.objects.filter(Q(open_date__lte=datetime.date(2025, 6, 24)) | Q(open_date__isnull=True))
    assert AccountSettlement.objects.values("client").distinct().count() >= opened.filter(
        Q(close_date__isnull=True) | Q(close_date__gte=datetime.date(2025, 6, 30))).count()
