"""Intermediaries: compliance checks, warning signs from settlement data, links, leaving."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client
from futures_crm.models import AuditEntry
from referrals import selectors, services
from referrals.choices import IntermediaryStatus
from referrals.models import Intermediary, IntermediaryLink, IntermediaryRelative, IntermediaryTraining
from tests.factories import ClientFactory

from .conftest import link, settle, trade

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)
DAY = datetime.date(2026, 11, 2)


def test_contract_expiring_within_30_days_or_expired(intermediary, other_intermediary):
    soon = Intermediary.objects.create(code="IB003", name="即将到期", contract_end=TODAY + datetime.timedelta(days=30))
    later = Intermediary.objects.create(code="IB004", name="还早", contract_end=TODAY + datetime.timedelta(days=31))
    ended = Intermediary.objects.create(code="IB005", name="已到期", contract_end=TODAY - datetime.timedelta(days=1))
    Intermediary.objects.create(code="IB006", name="已离开", contract_end=TODAY, status=IntermediaryStatus.LEFT)
    flagged = set(selectors.contract_expiring(Intermediary.objects.all(), today=TODAY))
    assert flagged == {soon, ended}
    assert later not in flagged


def test_training_missing_in_last_12_months(intermediary, other_intermediary):
    IntermediaryTraining.objects.create(intermediary=intermediary, trained_on=TODAY - datetime.timedelta(days=364),
                                        hours=4, topic="合规培训")
    IntermediaryTraining.objects.create(intermediary=other_intermediary,
                                        trained_on=TODAY - datetime.timedelta(days=366), hours=4, topic="旧培训")
    assert set(selectors.training_missing(Intermediary.objects.all(), today=TODAY)) == {other_intermediary}


def test_client_matching_a_declared_relative(staff, book, intermediary, other_intermediary):
    link(book["zhang"], intermediary)
    link(book["li"], other_intermediary)
    services.intermediary_relative_add(intermediary=intermediary, by=staff["compliance"], name="周妻",
                                       relation="配偶", id_number=book["zhang"].id_number.lower())
    # Declared by the other intermediary, but li is not its relative's match: no conflict there.
    IntermediaryRelative.objects.create(intermediary=other_intermediary, name="吴父", id_number="110101195001010011")
    rows = selectors.relative_conflicts(Intermediary.objects.all())
    assert [(r["intermediary"], r["client"], r["relative"].name) for r in rows] == [
        (intermediary, book["zhang"], "周妻")]


def _four_clients(branch, intermediary):
    clients = [ClientFactory(branch=branch, name=f"居间客户{i}") for i in range(4)]
    for c in clients:
        link(c, intermediary)
    return clients


def test_warning_sign_over_trading(book, intermediary):
    busy, calm, fee_heavy, _idle = _four_clients(book["zhang"].branch, intermediary)
    for i in range(5):
        d = DAY + datetime.timedelta(days=i)
        settle(busy, d, equity="100000", commission="100")
        trade(busy, d, buy=50, sell=50, turnover="1000000")  # 5,000,000 in 5 days = 50× equity
        settle(calm, d, equity="100000", commission="100")
        trade(calm, d, buy=5, sell=5, turnover="999999")  # just under 50×
        settle(fee_heavy, d, equity="10000", commission="100")  # 500 = 5 % of equity
    flagged = set(selectors.over_trading(Client.objects.all(), start=DAY, end=DAY + datetime.timedelta(days=4)))
    assert flagged == {busy, fee_heavy}


def test_warning_sign_converging_trades(book, intermediary, other_intermediary):
    a, b, c, d = _four_clients(book["zhang"].branch, intermediary)
    outsider = ClientFactory(branch=a.branch)
    link(outsider, other_intermediary)
    for cl in (a, b, c):
        trade(cl, DAY, instrument="ag2512", buy=10)
    trade(d, DAY, instrument="ag2512", sell=10)  # opposite direction
    trade(outsider, DAY, instrument="au2512", buy=1)
    # Two same-direction clients only: below the threshold of three.
    trade(a, DAY, instrument="cu2512", buy=3)
    trade(b, DAY, instrument="cu2512", buy=3)
    trade(c, DAY, instrument="cu2512", buy=3, sell=3)  # flat: no direction
    groups = selectors.converging_trades(Intermediary.objects.all(), start=DAY, end=DAY)
    assert [(g["intermediary_id"], g["instrument"], g["direction"], g["clients"]) for g in groups] == [
        (intermediary.pk, "ag2512", "buy", 3)]
    assert selectors.converging_members(intermediary, groups[0]) == sorted([a, b, c], key=lambda x: x.account_id)


def test_converging_trades_respect_link_dates(book, intermediary):
    a, b, c, _d = _four_clients(book["zhang"].branch, intermediary)
    IntermediaryLink.objects.filter(client=c).update(valid_from=DAY + datetime.timedelta(days=1))
    for cl in (a, b, c):
        trade(cl, DAY, instrument="ag2512", buy=10)
    assert selectors.converging_trades(Intermediary.objects.all(), start=DAY, end=DAY) == []


def test_warning_sign_negative_equity_and_intermediary_flag(staff, book, intermediary, other_intermediary):
    blown, fine, _x, _y = _four_clients(book["zhang"].branch, intermediary)
    # An earlier, closed attribution to the other intermediary must not carry the flag over to it.
    link(blown, other_intermediary, since=datetime.date(2023, 1, 1), until=datetime.date(2024, 1, 1))
    settle(blown, DAY, equity="-1500.25", balance="-1500.25")
    settle(blown, DAY + datetime.timedelta(days=1), equity="500")
    settle(fine, DAY, equity="10")
    rows = list(selectors.negative_equity(Client.objects.all(), start=DAY, end=DAY + datetime.timedelta(days=1)))
    assert rows == [blown] and str(rows[0].lowest_equity) == "-1500.25"
    # The compliance report raises the warning flag on the intermediary whose client blew up, not on the other.
    report = selectors.compliance_report(user=staff["compliance"], today=TODAY)
    assert "warning" in report["flags"][intermediary.pk]
    assert "warning" not in report["flags"].get(other_intermediary.pk, set())


def test_links_from_imported_codes_keep_history(staff, book, intermediary, other_intermediary):
    Client.objects.filter(pk=book["zhang"].pk).update(intermediary_code="IB001")
    Client.objects.filter(pk=book["li"].pk).update(intermediary_code="NOPE")
    assert services.intermediary_links_sync(on=TODAY) == 1
    assert services.intermediary_links_sync(on=TODAY) == 0  # idempotent
    first = IntermediaryLink.objects.get(client=book["zhang"])
    assert first.valid_from == book["zhang"].open_date and first.valid_to is None
    # The back office moves zhang to another intermediary: the old link is closed, not overwritten.
    Client.objects.filter(pk=book["zhang"].pk).update(intermediary_code="IB002")
    assert services.intermediary_links_sync(on=TODAY) == 1
    history = list(IntermediaryLink.objects.filter(client=book["zhang"]).order_by("valid_from", "id"))
    assert [(h.intermediary.code, h.valid_to) for h in history] == [("IB001", TODAY), ("IB002", None)]
    # By hand, with a reason.
    services.intermediary_link(client=book["zhang"], intermediary=intermediary, by=staff["compliance"],
                               valid_from=TODAY + datetime.timedelta(days=1), reason="客户确认")
    assert IntermediaryLink.objects.filter(client=book["zhang"]).count() == 3
    assert AuditEntry.objects.filter(action="intermediary.link", client=book["zhang"]).count() == 3


def test_leaving_intermediary_transfers_clients_audited(staff, book, intermediary, other_intermediary):
    link(book["zhang"], intermediary)
    link(book["wang"], intermediary)
    link(book["li"], intermediary)
    moved = services.intermediary_leave(
        intermediary=intermediary, by=staff["compliance"], reason="合同终止", left_on=TODAY,
        transfers={book["zhang"].pk: ("intermediary", other_intermediary), book["wang"].pk: ("manager", staff["am2"])},
    )
    assert moved == {"manager": 1, "intermediary": 1}
    intermediary.refresh_from_db()
    assert intermediary.status == IntermediaryStatus.LEFT
    assert IntermediaryLink.objects.get(client=book["zhang"], valid_to__isnull=True).intermediary == other_intermediary
    assert Client.objects.get(pk=book["wang"].pk).account_manager == staff["am2"]
    assert AuditEntry.objects.filter(action="intermediary.leave").count() == 1
    # li, with a manager, is not orphaned; wang now has one; nobody without a manager is left with a gone intermediary.
    assert not selectors.orphaned_clients().exists()
    with pytest.raises(ValidationError):
        services.intermediary_link(client=book["zhao"], intermediary=intermediary, by=staff["compliance"],
                                   valid_from=TODAY)


def test_cached_signs_follow_new_links(staff, book, intermediary):
    a, b, c, _d = _four_clients(book["zhang"].branch, intermediary)
    late = ClientFactory(branch=a.branch)
    for cl in (a, b, late):
        trade(cl, DAY, instrument="ag2512", buy=10)
        settle(cl, DAY)
    assert selectors.compliance_report(user=staff["compliance"])["signs"]["converging"] == []
    services.intermediary_link(client=late, intermediary=intermediary, by=staff["compliance"],
                               valid_from=DAY - datetime.timedelta(days=1), reason="补登")
    groups = selectors.compliance_report(user=staff["compliance"])["signs"]["converging"]
    assert [(g["instrument"], g["clients"]) for g in groups] == [("ag2512", 3)]


def test_leaving_twice_is_refused(staff, intermediary):
    services.intermediary_leave(intermediary=intermediary, by=staff["compliance"], reason="合同终止", left_on=TODAY)
    with pytest.raises(ValidationError):
        services.intermediary_leave(intermediary=intermediary, by=staff["compliance"], reason="再次", left_on=TODAY)
