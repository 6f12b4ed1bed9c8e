"""Account managers: reassignment history, handover, orphans, key clients, workload."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client, ContactLog, StaffProfile
from futures_crm.models import AuditEntry
from futures_crm.roles import Role
from referrals import selectors, services
from referrals.choices import HandoverStrategy, IntermediaryStatus
from referrals.models import ManagerAssignment
from segmentation.models import ClientSegment
from service.models import Task
from tests.factories import ClientFactory, make_staff

from .conftest import link, settle

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 2)


def test_reassign_keeps_history_and_audits(staff, book):
    zhang = book["zhang"]
    a = services.client_reassign(client=zhang, to_manager=staff["am2"], by=staff["bm_sh"], reason="客户要求更换")
    zhang.refresh_from_db()
    assert zhang.account_manager == staff["am2"]
    assert (a.from_manager, a.to_manager, a.by) == (staff["am1"], staff["am2"], staff["bm_sh"])
    assert a.reason == "客户要求更换"
    entry = AuditEntry.objects.get(action="client.reassign", client=zhang)
    assert entry.before == {"account_manager": staff["am1"].pk} and entry.reason == "客户要求更换"


def test_reassign_needs_reason_and_active_successor(staff, book):
    with pytest.raises(ValidationError):
        services.client_reassign(client=book["zhang"], to_manager=staff["am2"], by=staff["admin"], reason=" ")
    StaffProfile.objects.filter(user=staff["am2"]).update(is_active=False)
    staff["am2"].staff_profile.refresh_from_db()
    with pytest.raises(ValidationError):
        services.client_reassign(client=book["zhang"], to_manager=staff["am2"], by=staff["admin"], reason="x")
    assert not ManagerAssignment.objects.exists()


@pytest.fixture
def big_book(staff, branches):
    """am1 holds ten clients with equity 10k…100k and an open task on one of them."""
    sh, _bj = branches
    clients = [ClientFactory(name=f"客户{i}", branch=sh, account_manager=staff["am1"]) for i in range(10)]
    for i, c in enumerate(clients):
        settle(c, DAY, equity=str((i + 1) * 10000))
    Task.objects.create(client=clients[0], kind="care", owner=staff["am1"], due_on=DAY)
    return clients


def _handover(staff, big_book, strategy, successors, **kw):
    plan = services.handover_plan(leaving_manager=staff["am1"], successors=successors, strategy=strategy, **kw)
    return plan, services.manager_handover(leaving_manager=staff["am1"], plan=plan, strategy=strategy,
                                           by=staff["bm_sh"], reason="离职", notify=True)


def test_handover_by_count_moves_everyone_once_and_balances(staff, big_book):
    am3 = make_staff(Role.ACCOUNT_MANAGER, branch=staff["am1"].staff_profile.branch, username="am3")
    plan, handover = _handover(staff, big_book, HandoverStrategy.COUNT, [staff["am2"], am3])
    # Nothing lost: every client now has exactly one of the successors; none stays with the leaver.
    assert not Client.objects.filter(account_manager=staff["am1"]).exists()
    counts = sorted(Client.objects.filter(pk__in=[c.pk for c in big_book]).values_list("account_manager", flat=True))
    assert counts.count(staff["am2"].pk) == 5 and counts.count(am3.pk) == 5
    assert handover.client_count == 10
    assert ManagerAssignment.objects.filter(handover=handover).count() == 10
    # Audited: one handover entry plus one reassignment per client, all in the client trails.
    assert AuditEntry.objects.filter(action="manager.handover").count() == 1
    assert AuditEntry.objects.filter(action="client.reassign", client__in=big_book).count() == 10
    # The leaver is deactivated and their open task followed the client.
    profile = StaffProfile.objects.get(user=staff["am1"])
    assert not profile.is_active and profile.left_on is not None
    task = Task.objects.get(client=big_book[0])
    assert task.owner_id == Client.objects.get(pk=big_book[0].pk).account_manager_id
    # Each client got a notice in the contact log naming their new manager.
    assert ContactLog.objects.filter(client__in=big_book).count() == 10
    # Nobody is orphaned by a completed handover.
    assert not selectors.orphaned_clients().exists()


def test_handover_by_equity_balances_equity(staff, big_book):
    am3 = make_staff(Role.ACCOUNT_MANAGER, branch=staff["am1"].staff_profile.branch, username="am3")
    plan, _h = _handover(staff, big_book, HandoverStrategy.EQUITY, [staff["am2"], am3])
    equity = {c.pk: Decimal((i + 1) * 10000) for i, c in enumerate(big_book)}
    sums = [sum(equity[pk] for pk in ids) for ids in plan.values()]
    # Total 550k: greedy largest-first leaves the two halves within the smallest account.
    assert sum(sums) == Decimal(550000) and abs(sums[0] - sums[1]) <= Decimal(10000)


def test_handover_by_hand_and_changed_book_is_refused(staff, big_book):
    manual = {c.pk: staff["am2"].pk for c in big_book}
    plan = services.handover_plan(leaving_manager=staff["am1"], successors=[staff["am2"]],
                                  strategy=HandoverStrategy.MANUAL, manual=manual)
    assert sorted(plan[staff["am2"].pk]) == sorted(manual)
    # A client arrives after the preview: the stale plan must not leave them behind.
    late = ClientFactory(branch=big_book[0].branch, account_manager=staff["am1"])
    with pytest.raises(ValidationError):
        services.manager_handover(leaving_manager=staff["am1"], plan=plan, strategy="manual", by=staff["admin"],
                                  reason="离职")
    assert Client.objects.filter(account_manager=staff["am1"]).count() == 11
    assert StaffProfile.objects.get(user=staff["am1"]).is_active
    del manual[big_book[3].pk]
    manual[late.pk] = staff["am2"].pk
    with pytest.raises(ValidationError):
        services.handover_plan(leaving_manager=staff["am1"], successors=[staff["am2"]], strategy="manual",
                               manual=manual)


def test_orphan_detection(staff, book, intermediary):
    # Manager deactivated without a handover: orphaned.
    StaffProfile.objects.filter(user=staff["am2"]).update(is_active=False)
    # No manager, intermediary left: orphaned.  No manager, intermediary active: not orphaned.
    lone = ClientFactory(branch=book["zhang"].branch)
    kept = ClientFactory(branch=book["zhang"].branch)
    link(book["wang"], intermediary)
    link(kept, intermediary)
    assert set(selectors.orphaned_clients()) == {book["li"]}
    intermediary.status = IntermediaryStatus.LEFT
    intermediary.save()
    assert set(selectors.orphaned_clients()) == {book["li"], book["wang"], kept}
    assert lone not in selectors.orphaned_clients()
    # The page list is scoped: the Shanghai branch manager does not see the Beijing client.
    assert set(selectors.orphaned_client_list(user=staff["bm_sh"])) == {book["li"], kept}


def test_key_clients_without_active_manager(staff, book):
    ClientSegment.objects.create(client=book["wang"], as_of=DAY, purpose="speculator", fund_size="large",
                                 volume="ordinary", tenure="old")
    ClientSegment.objects.create(client=book["zhao"], as_of=DAY, purpose="speculator", fund_size="retail",
                                 volume="key_service", tenure="old")
    Client.objects.filter(pk=book["li"].pk).update(is_key=True)
    # zhao has an active manager, so only the unmanaged large client shows first.
    assert set(selectors.key_clients_without_manager(user=staff["admin"])) == {book["wang"]}
    StaffProfile.objects.filter(user__in=[staff["am1"], staff["am2"]]).update(is_active=False)
    assert set(selectors.key_clients_without_manager(user=staff["admin"])) == {book["wang"], book["zhao"], book["li"]}
    assert book["zhang"] not in selectors.key_clients_without_manager(user=staff["admin"])


def test_workload_sums_per_manager(staff, book):
    old = DAY - datetime.timedelta(days=60)
    settle(book["zhang"], old, equity="1", commission="999", exchange_fee="0")
    for i in range(3):
        d = DAY + datetime.timedelta(days=i)
        settle(book["zhang"], d, equity="100000", commission="30.00", exchange_fee="10.00")
        settle(book["zhao"], d, equity="50000.50", commission="5.55", exchange_fee="1.11")
    settle(book["li"], DAY, equity="7000", commission="3", exchange_fee="1")
    Task.objects.create(client=book["zhang"], kind="care", owner=staff["am1"], due_on=DAY)
    Task.objects.create(client=book["zhao"], kind="care", owner=staff["am1"], due_on=DAY, status="done")
    rows = {r["manager"].username: r for r in selectors.manager_workload(user=staff["admin"])}
    am1 = rows["am1"]
    assert am1["clients"] == 2 and am1["open_tasks"] == 1
    # Equity on the latest trading day: li has no row that day and does not count for am2's total.
    assert am1["equity"] == Decimal("150000.50")
    # 20 trading days here are the four days with rows: the 60-day-old 999 counts too only if inside.
    assert am1["net_commission"] == Decimal("3") * (Decimal("20.00") + Decimal("4.44")) + Decimal("999")
    assert rows["am2"]["clients"] == 1 and rows["am2"]["equity"] == Decimal("0")
    # A branch manager's workload lists only their branch's managers.
    assert {r["manager"].username for r in selectors.manager_workload(user=staff["bm_bj"])} == set()
