"""Issue 11: reassignment, handover, a leaving intermediary's transfers, compliance and the amounts of the
relationship records: one service (and one parser) behind the page and the API, refusing the same things."""

import datetime

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from clients.models import Client, StaffProfile
from futures_crm.roles import Role
from referrals.models import (
    Intermediary,
    IntermediaryTraining,
    ManagerAssignment,
    RebateStatement,
    Referral,
    ReferralReward,
)
from tests.factories import ClientFactory, make_staff

from .conftest import link, settle

pytestmark = pytest.mark.django_db
DOORS = ["page", "api"]
DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def bj_manager(branches):
    return make_staff(Role.ACCOUNT_MANAGER, branch=branches[1], username="am_bj", code="AM009")


def stored(client: Client) -> dict:
    return model_to_dict(Client.objects.get(pk=client.pk))


def reassign(django_client, api, user, target: Client, to, door: str, reason="调整"):
    if door == "api":
        return api(user).post("/api/manager-assignments/", {
            "client": target.account_id, "to_manager": to.staff_profile.employee_code, "reason": reason},
            format="json")
    django_client.force_login(user)
    return django_client.post(reverse("referrals:assign", args=[target.pk]), {"to_manager": to.pk,
                                                                              "reason": reason})


def refused_on(response, door: str, field: str) -> bool:
    if door == "api":
        return response.status_code == 400 and field in response.json()
    return response.status_code == 200 and field in response.context["form"].errors


# ---------------------------------------------------------------- reassignment

@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("target", ["am_bj", "agent", "backoffice", "bm_sh"])
def test_branch_manager_assigns_only_to_their_branchs_active_account_managers(client, api, staff, book,
                                                                              bj_manager, door, target):
    to = bj_manager if target == "am_bj" else staff[target]
    zhang = book["zhang"]
    before = stored(zhang)
    assert refused_on(reassign(client, api, staff["bm_sh"], zhang, to, door), door, "to_manager")
    assert stored(zhang) == before and not ManagerAssignment.objects.exists()


@pytest.mark.parametrize("door", DOORS)
def test_an_inactive_manager_takes_no_clients(client, api, staff, book, door):
    StaffProfile.objects.filter(user=staff["am2"]).update(is_active=False)
    zhang = book["zhang"]
    before = stored(zhang)
    assert refused_on(reassign(client, api, staff["head"], zhang, staff["am2"], door), door, "to_manager")
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_account_managers_do_not_reassign(client, api, staff, book, door):
    zhang = book["zhang"]
    before = stored(zhang)
    assert reassign(client, api, staff["am1"], zhang, staff["am2"], door).status_code == 403
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_reassignment_writes_the_history_and_the_client_follows_its_managers_branch(client, api, staff, book,
                                                                                   bj_manager, door):
    zhang = book["zhang"]
    response = reassign(client, api, staff["head"], zhang, bj_manager, door, reason="客户迁居北京")
    assert response.status_code == (201 if door == "api" else 302)
    zhang.refresh_from_db()
    assert zhang.account_manager == bj_manager and zhang.branch.code == "BJ01"
    assignment = ManagerAssignment.objects.get(client=zhang)
    assert (assignment.from_manager, assignment.to_manager) == (staff["am1"], bj_manager)
    assert zhang.audit_entries.get(action="client.reassign").after == {"account_manager": bj_manager.pk,
                                                                       "branch": zhang.branch_id}


def test_the_service_refuses_an_assignment_to_nobody(api, staff, book):
    response = api(staff["bm_sh"]).post("/api/manager-assignments/", {
        "client": book["zhang"].account_id, "to_manager": None, "reason": "x"}, format="json")
    assert response.status_code == 400 and "to_manager" in response.json()
    assert Client.objects.get(pk=book["zhang"].pk).account_manager == staff["am1"]


# ---------------------------------------------------------------- handover

def handover(django_client, api, user, leaving, successors, door, confirm=True):
    if door == "api":
        return api(user).post("/api/handovers/", {
            "leaving_manager": leaving.staff_profile.employee_code, "strategy": "count", "confirm": confirm,
            "successors": [s.staff_profile.employee_code for s in successors], "reason": "离职"}, format="json")
    django_client.force_login(user)
    return django_client.post(reverse("referrals:handover"), {
        "leaving_manager": leaving.pk, "successors": [s.pk for s in successors], "strategy": "count",
        "reason": "离职", "notice_channel": "sms"})


@pytest.mark.parametrize("door", DOORS)
def test_handover_only_to_successors_the_branch_manager_may_assign_to(client, api, staff, book, bj_manager, door):
    response = handover(client, api, staff["bm_sh"], staff["am1"], [bj_manager], door)
    assert refused_on(response, door, "successors")
    assert Client.objects.filter(account_manager=staff["am1"]).count() == 2
    assert StaffProfile.objects.get(user=staff["am1"]).is_active


@pytest.mark.parametrize("door", DOORS)
def test_handover_of_another_branchs_manager_is_refused(client, api, staff, book, bj_manager, door):
    ClientFactory(branch=bj_manager.staff_profile.branch, account_manager=bj_manager)
    response = handover(client, api, staff["bm_sh"], bj_manager, [staff["am2"]], door)
    assert refused_on(response, door, "leaving_manager")
    assert StaffProfile.objects.get(user=bj_manager).is_active


def test_the_handover_preview_shows_no_book_outside_the_callers_scope(api, staff, book, bj_manager):
    other = ClientFactory(branch=bj_manager.staff_profile.branch, account_manager=bj_manager)
    response = handover(None, api, staff["bm_sh"], bj_manager, [staff["am2"]], "api", confirm=False)
    assert response.status_code == 400 and other.account_id not in response.content.decode()


def test_the_leaving_manager_is_not_a_successor(api, staff, book):
    response = handover(None, api, staff["bm_sh"], staff["am1"], [staff["am1"], staff["am2"]], "api")
    assert response.status_code == 400 and "successors" in response.json()


# ---------------------------------------------------------------- a leaving intermediary

def leave(django_client, api, user, ib, transfers, door, left_on="2026-11-24"):
    if door == "api":
        return api(user).post(f"/api/intermediaries/{ib.pk}/leave/", {
            "left_on": left_on, "reason": "合同终止", "transfers": transfers}, format="json")
    django_client.force_login(user)
    return django_client.post(reverse("referrals:intermediary_leave", args=[ib.pk]), {
        "left_on": left_on, "reason": "合同终止", **{f"to_{k}": v for k, v in transfers.items()}})


def refused_leave(response, door) -> bool:
    if door == "api":
        return response.status_code == 400
    return response.status_code == 200 and response.context["errors"]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("target", ["agent", "inactive", "nobody"])
def test_leaving_intermediarys_clients_go_only_to_active_account_managers(client, api, staff, book, intermediary,
                                                                         door, target):
    link(book["zhang"], intermediary)
    if target == "inactive":
        StaffProfile.objects.filter(user=staff["am2"]).update(is_active=False)
    code = {"agent": staff["agent"].staff_profile.employee_code, "inactive": "AM002", "nobody": "NOPE"}[target]
    zhang = book["zhang"]
    before = stored(zhang)
    response = leave(client, api, staff["compliance"], intermediary, {zhang.account_id: f"manager:{code}"}, door)
    assert refused_leave(response, door)
    if door == "page":  # the page comes back with the choice and the reason typed
        body = response.content.decode()
        assert "合同终止" in body and "2026-11-24" in body
    intermediary.refresh_from_db()
    assert intermediary.status == "active" and stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_leaving_intermediary_transfers_through_the_same_parser(client, api, staff, book, intermediary,
                                                               other_intermediary, door):
    link(book["zhang"], intermediary)
    link(book["wang"], intermediary)
    response = leave(client, api, staff["compliance"], intermediary, {
        book["zhang"].account_id: "manager:AM002", book["wang"].account_id: f"intermediary:{other_intermediary.code}",
    }, door)
    assert response.status_code == (200 if door == "api" else 302)
    assert Client.objects.get(pk=book["zhang"].pk).account_manager == staff["am2"]
    assert ManagerAssignment.objects.get(client=book["zhang"]).kind == "intermediary_left"
    assert book["wang"].intermediary_links.get(valid_to__isnull=True).intermediary == other_intermediary


@pytest.mark.parametrize("door", DOORS)
def test_leaving_on_a_date_out_of_range_is_refused(client, api, staff, book, intermediary, door):
    link(book["zhang"], intermediary)
    response = leave(client, api, staff["compliance"], intermediary, {}, door, left_on="9999-12-31")
    assert refused_leave(response, door)
    intermediary.refresh_from_db()
    assert intermediary.status == "active"


# ---------------------------------------------------------------- compliance: one selector, scoped

def test_compliance_endpoint_names_only_the_callers_clients_like_the_page(client, api, staff, book, intermediary):
    link(book["zhang"], intermediary)
    link(book["li"], intermediary)  # am2's client
    settle(book["li"], DAY, equity="-500")
    settle(book["zhang"], DAY, equity="-100")
    for who, sees_li in (("am1", False), ("compliance", True)):
        body = api(staff[who]).get(f"/api/intermediaries/{intermediary.pk}/compliance/").json()
        assert body["warning_signs"] is True  # the flag is the intermediary's, whoever asks
        assert (book["li"].account_id in body["negative_equity"]) == sees_li
        assert book["zhang"].account_id in body["negative_equity"]
        client.force_login(staff[who])
        page = client.get(reverse("referrals:intermediary", args=[intermediary.pk])).content.decode()
        assert (book["li"].account_id in page) == sees_li


def test_compliance_endpoint_hides_other_managers_relatives(api, staff, book, intermediary):
    from referrals import services

    link(book["li"], intermediary)
    link(book["zhang"], intermediary)
    services.intermediary_relative_add(intermediary=intermediary, by=staff["compliance"], name="周妻",
                                       id_number=book["li"].id_number, relation="配偶")
    body = api(staff["am1"]).get(f"/api/intermediaries/{intermediary.pk}/compliance/").json()
    assert body["relative_conflict"] is True and body["relative_clients"] == []
    body = api(staff["compliance"]).get(f"/api/intermediaries/{intermediary.pk}/compliance/").json()
    assert body["relative_clients"] == [book["li"].account_id]


# ---------------------------------------------------------------- amounts and dates

def action(django_client, user, ib, name, **fields):
    django_client.force_login(user)
    return django_client.post(reverse("referrals:intermediary_action", args=[ib.pk, name]),
                              {f"{name}-{k}": v for k, v in fields.items()})


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field,hours,trained_on", [("hours", "-4", "2026-06-01"), ("trained_on", "4", "9999-01-01"),
                                                     ("trained_on", "4", "0001-01-01")])
def test_training_hours_not_negative_and_dates_sane(client, api, staff, intermediary, door, field, hours, trained_on):
    if door == "api":
        response = api(staff["compliance"]).post(f"/api/intermediaries/{intermediary.pk}/trainings/", {
            "trained_on": trained_on, "hours": hours, "topic": "合规"}, format="json")
        assert response.status_code == 400 and field in response.json()
    else:
        response = action(client, staff["compliance"], intermediary, "training", trained_on=trained_on,
                          hours=hours, topic="合规")
        form = response.context["training_form"]
        assert response.status_code == 200 and field in form.errors and form["topic"].value() == "合规"
    assert not IntermediaryTraining.objects.exists()


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field,value", [("rebate_rate", "1.5"), ("exchange_rebate_share", "-0.1"),
                                         ("contract_end", "9999-12-31")])
def test_intermediary_rates_and_contract_dates_in_range(client, api, staff, intermediary, door, field, value):
    before = model_to_dict(Intermediary.objects.get(pk=intermediary.pk))
    data = {"code": "IB001", "name": "周居间", "kind": "person", "status": "active", "rebate_rate": "0.4",
            field: value}
    if door == "api":
        response = api(staff["compliance"]).patch(f"/api/intermediaries/{intermediary.pk}/", data, format="json")
        assert response.status_code == 400 and field in response.json()
    else:
        client.force_login(staff["compliance"])
        response = client.post(reverse("referrals:intermediary_edit", args=[intermediary.pk]), data)
        assert response.status_code == 200 and field in response.context["form"].errors
    assert model_to_dict(Intermediary.objects.get(pk=intermediary.pk)) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field,amount,given_on", [("amount", "-1000000000", "2026-11-20"),
                                                    ("given_on", "100", "9999-01-01")])
def test_reward_value_not_negative_and_dated_sanely(client, api, staff, book, door, field, amount, given_on):
    referral = Referral.objects.create(referrer_client=book["zhang"], prospect_name="陈六", referred_on=DAY)
    if door == "api":
        response = api(staff["bm_sh"]).post(f"/api/referrals/{referral.pk}/rewards/", {
            "what": "礼品", "amount": amount, "given_on": given_on}, format="json")
        assert response.status_code == 400 and field in response.json()
    else:
        client.force_login(staff["bm_sh"])
        response = client.post(reverse("referrals:referral", args=[referral.pk]), {
            "action": "reward", "reward-what": "礼品", "reward-amount": amount, "reward-given_on": given_on})
        form = response.context["reward_form"]
        assert response.status_code == 200 and field in form.errors and form["what"].value() == "礼品"
    assert not ReferralReward.objects.exists()


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("month", ["9999-12", "1990-01", "2026-12"])
def test_a_rebate_month_lies_within_stored_settlement(client, api, staff, book, intermediary, door, month):
    link(book["zhang"], intermediary)
    settle(book["zhang"], DAY, commission="10")
    if door == "api":
        response = api(staff["compliance"]).post("/api/rebate-statements/draft/", {
            "intermediary": intermediary.code, "month": f"{month}-01"}, format="json")
        assert response.status_code == 400 and "month" in response.json()
    else:
        response = action(client, staff["compliance"], intermediary, "draft", month=month, exchange_refund_rate="0")
        assert response.status_code == 200 and "month" in response.context["draft_form"].errors
    assert not RebateStatement.objects.exists()
    # The month of the stored rows is fine.
    ok = api(staff["compliance"]).post("/api/rebate-statements/draft/", {
        "intermediary": intermediary.code, "month": "2026-11-01"}, format="json")
    assert ok.status_code == 201


def test_the_exchange_refund_rate_is_a_share(api, staff, book, intermediary):
    link(book["zhang"], intermediary)
    settle(book["zhang"], DAY, commission="10")
    response = api(staff["compliance"]).post("/api/rebate-statements/draft/", {
        "intermediary": intermediary.code, "month": "2026-11-01", "exchange_refund_rate": "-0.5"}, format="json")
    assert response.status_code == 400 and "exchange_refund_rate" in response.json()


@pytest.mark.parametrize("door", DOORS)
def test_an_intermediary_leaves_only_through_its_leaving_page(client, api, staff, book, intermediary, door):
    link(book["zhang"], intermediary)
    data = {"code": "IB001", "name": "周居间", "kind": "person", "status": "left", "rebate_rate": "0.4"}
    if door == "api":
        response = api(staff["compliance"]).patch(f"/api/intermediaries/{intermediary.pk}/", data, format="json")
        assert response.status_code == 400 and "status" in response.json()
    else:  # the edit page does not even offer it
        client.force_login(staff["compliance"])
        response = client.post(reverse("referrals:intermediary_edit", args=[intermediary.pk]), data)
        assert response.status_code == 200 and "status" in response.context["form"].errors
    intermediary.refresh_from_db()
    assert intermediary.status == "active"


def test_a_referral_names_its_referrer_and_the_person(client, api, staff, book):
    response = api(staff["marketing"]).post("/api/referrals/", {
        "referrer_client": book["zhang"].account_id, "prospect_name": "", "referred_on": "2026-11-02"},
        format="json")
    assert response.status_code == 400 and "prospect_name" in response.json()
    client.force_login(staff["am1"])
    response = client.post(reverse("referrals:referral_new"), {"prospect_name": "陈六", "referred_on": "2026-11-02"})
    assert response.status_code == 200 and "referrer_account" in response.context["form"].errors
    assert response.context["form"]["prospect_name"].value() == "陈六"
    assert not Referral.objects.exists()
