"""A small brokerage made through the product's services, for tests that walk every page and endpoint.

It holds the records whose people are missing: a complaint in the compliance queue (no owner), audit
entries written by the system (no actor), a referral and a ticket by a superuser made with
`createsuperuser` (no staff profile), a client without a manager.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from clients.models import AccountSettlement, ContactLog, ContractSettlement
from futures_crm.audit import audit_record
from futures_crm.roles import Role
from referrals.models import ManagerAssignment, ReferralReward
from segmentation.models import NightlyRun
from tests.factories import BranchFactory, ClientFactory, make_staff

DAYS = [datetime.date(2025, 3, 3) + datetime.timedelta(days=i) for i in range(5)]  # Monday to Friday


def _settlements(clients):
    accounts, contracts = [], []
    for i, client in enumerate(clients):
        for day in DAYS:
            money = {k: Decimal(0) for k in ("pre_balance", "deposit", "withdrawal", "close_profit",
                                             "position_profit", "commission", "exchange_fee", "margin",
                                             "available", "margin_call")}
            money.update(balance=Decimal(100_000 * (i + 1)), equity=Decimal(100_000 * (i + 1)),
                         commission=Decimal("12.50"))
            accounts.append(AccountSettlement(trade_date=day, client=client, **money))
            contracts.append(ContractSettlement(
                trade_date=day, client=client, exchange="SHFE", instrument="rb2510", product="rb",
                hedge_flag="speculation", buy_lots=i + 1, sell_lots=0, turnover=Decimal(0), commission=Decimal(0),
                exchange_fee=Decimal(0), close_profit=Decimal(0), long_position=i + 1, short_position=0,
                margin=Decimal(0)))
    AccountSettlement.objects.bulk_create(accounts)
    ContractSettlement.objects.bulk_create(contracts)


def build_world() -> dict:
    """Staff, clients, settlement days and one record of each kind; returns users and records by name."""
    from referrals import services as rel
    from service import services as svc

    sh = BranchFactory(code="SH01", name="上海营业部", city="上海")
    bj = BranchFactory(code="BJ01", name="北京营业部", city="北京")
    root = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-123")
    admin = make_staff(Role.ADMIN, username="admin_w")
    am = make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am_w", code="AM101", name="王经理")
    am2 = make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am_w2", code="AM102", name="李经理")
    bm = make_staff(Role.BRANCH_MANAGER, branch=sh, username="bm_w")
    clients = [
        ClientFactory(name="张三", branch=sh, account_manager=am, phone="13800001111"),
        ClientFactory(name="赵敏", branch=sh, account_manager=am),
        ClientFactory(name="李四", branch=sh, account_manager=am2),
        ClientFactory(name="王五", branch=bj),  # no manager
    ]
    _settlements(clients)

    complaint = svc.ticket_open(by=root, ticket_type="complaint", channel="phone", subject="投诉", client=clients[0])
    consult = svc.ticket_open(by=am, ticket_type="trading_consultation", channel="phone", subject="咨询",
                              client=clients[1])
    task = svc.task_upsert(client=clients[0], kind="call_back", due_on=DAYS[-1], title="回访")  # actor: system
    referral = rel.referral_create(by=root, prospect_name="介绍人", referred_on=DAYS[0], referrer_staff=root)
    rel.referral_create(by=am, prospect_name="客户介绍", referred_on=DAYS[0], referrer_client=clients[0])
    intermediary = rel.intermediary_save(by=root, code="IB01", name="居间人甲", kind="person",
                                         id_number="110101198001010011", phone="13900000000",
                                         contract_start=DAYS[0], contract_end=DAYS[0] + datetime.timedelta(days=365),
                                         rebate_rate=Decimal("0.3"), exchange_rebate_share=Decimal("0.1"),
                                         branch=sh)
    link = rel.intermediary_link(client=clients[1], intermediary=intermediary, by=root, valid_from=DAYS[0])
    prospect = svc.prospect_create(by=root, name="潜在客户", source="referral")
    svc.prospect_create(by=am, name="潜在客户乙", source="referral")
    activity = svc.activity_create(by=root, kind="seminar", title="策略会", held_on=DAYS[-1])
    survey = svc.survey_record(client=clients[0], by=root, satisfaction=9)
    membership = rel.club_membership_set(client=clients[0], by=root, level="silver", status="active")
    audit_record(actor=None, action="client.update", obj=clients[0], client=clients[0], after={"tags": "key"})
    # Records whose person is gone (a user deleted: SET_NULL) or was never there (the system).
    assignment = ManagerAssignment.objects.create(client=clients[0], to_manager=am, at=timezone.now(), by=None,
                                                  reason="导入")
    run = NightlyRun.objects.create(trade_date=DAYS[-2], policy_version=1, status="failed", error="boom")
    ReferralReward.objects.create(referral=referral, what="礼品", given_on=DAYS[1], approved_by=None)
    ContactLog.objects.create(client=clients[0], channel="phone", summary="电话回访", by=None)
    return {
        "root": root, "admin": admin, "am": am, "am2": am2, "bm": bm, "clients": clients, "complaint": complaint,
        "consultation": consult, "task": task, "referral": referral, "intermediary": intermediary,
        "prospect": prospect, "activity": activity, "link": link, "survey": survey, "membership": membership,
        "assignment": assignment, "run": run,
        "tokens": {name: Token.objects.create(user=u).key for name, u in
                   {"root": root, "admin": admin, "am": am}.items()},
    }
