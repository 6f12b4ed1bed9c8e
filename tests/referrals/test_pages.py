"""The pages do what a user expects: handover, statements, leaving intermediary, referrals, club, compliance."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from clients.models import Client, StaffProfile
from referrals.models import ClubMembership, Intermediary, IntermediaryLink, RebateStatement, Referral
from tests.factories import ClientFactory, make_staff

from .conftest import D, link, settle, trade

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 2)


def test_handover_through_the_page(client, staff, branches):
    sh, _ = branches
    book = [ClientFactory(branch=sh, account_manager=staff["am1"]) for _ in range(5)]
    client.force_login(staff["bm_sh"])
    params = {"leaving_manager": staff["am1"].pk, "successors": [staff["am2"].pk], "strategy": "count"}
    preview = client.get(reverse("referrals:handover"), params)
    assert preview.status_code == 200
    assert all(c.account_id in preview.content.decode() for c in book)
    done = client.post(reverse("referrals:handover"), {**params, "reason": "离职", "notify": "on",
                                                        "notice_channel": "sms"})
    assert done.status_code == 302
    assert Client.objects.filter(account_manager=staff["am2"], pk__in=[c.pk for c in book]).count() == 5
    assert not StaffProfile.objects.get(user=staff["am1"]).is_active


def test_manual_handover_page_uses_the_per_client_choice(client, staff, branches):
    sh, _ = branches
    a, b = (ClientFactory(branch=sh, account_manager=staff["am1"]) for _ in range(2))
    am3 = make_staff("account_manager", branch=sh, username="am3")
    client.force_login(staff["admin"])
    params = {"leaving_manager": staff["am1"].pk, "successors": [staff["am2"].pk, am3.pk], "strategy": "manual"}
    page = client.get(reverse("referrals:handover"), params)
    # The same shape as the API's `manual`: fund account → successor's employee code.
    assert f'name="to_{a.account_id}"' in page.content.decode()
    code = am3.staff_profile.employee_code
    client.post(reverse("referrals:handover"), {**params, "reason": "离职", "notice_channel": "sms",
                                                 f"to_{a.account_id}": code, f"to_{b.account_id}": code})
    assert set(Client.objects.filter(pk__in=[a.pk, b.pk]).values_list("account_manager", flat=True)) == {am3.pk}


def test_statement_draft_confirm_and_exports_through_pages(client, staff, book):
    ib = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=D("0.5"))
    link(book["zhang"], ib)
    settle(book["zhang"], DAY, commission="10.01", exchange_fee="3.00")
    client.force_login(staff["compliance"])
    resp = client.post(reverse("referrals:intermediary_action", args=[ib.pk, "draft"]),
                       {"draft-month": "2026-11", "draft-exchange_refund_rate": "0"})
    url = reverse("referrals:statement", args=[ib.pk, "2026-11"])
    assert resp.status_code == 302 and resp["Location"] == url
    page = client.get(url).content.decode()
    assert "3.51" in page  # 7.01 × 0.5 = 3.505 → 3.51 (half-up)
    csv_text = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert csv_text.strip().splitlines()[-1].endswith(",3.51")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(url, {"export": "xlsx"}).streaming_content)))
    assert "8001" in str(list(wb.active.iter_rows(values_only=True))[4][0])
    client.post(url)
    assert RebateStatement.objects.get().status == "confirmed"


def test_intermediary_page_shows_flags_and_signs(client, staff, book):
    ib = Intermediary.objects.create(code="IB009", name="风险居间", contract_end=DAY)
    clients = [ClientFactory(branch=book["zhang"].branch, name=f"同向{i}") for i in range(3)]
    for c in clients:
        link(c, ib)
        trade(c, DAY, instrument="ag2512", buy=5)
        settle(c, DAY, equity="-10")
    client.force_login(staff["compliance"])
    body = client.get(reverse("referrals:intermediary", args=[ib.pk])).content.decode()
    assert body.count('badge danger') >= 2 and "ag2512" in body and "同向0" in body
    listing = client.get(reverse("referrals:intermediaries")).content.decode()
    assert "warning signs" in listing and "-30.00" in listing  # three clients at −10 equity
    assert "ag2512" in client.get(reverse("referrals:compliance")).content.decode()


def test_leaving_intermediary_page(client, staff, book):
    ib = Intermediary.objects.create(code="IB001", name="周居间")
    ib2 = Intermediary.objects.create(code="IB002", name="吴居间")
    link(book["zhang"], ib)
    link(book["wang"], ib)
    client.force_login(staff["compliance"])
    page = client.get(reverse("referrals:intermediary_leave", args=[ib.pk])).content.decode()
    assert book["wang"].account_id in page
    # The same shape as the API's `transfers`: fund account → "intermediary:<code>" or "manager:<employee code>".
    client.post(reverse("referrals:intermediary_leave", args=[ib.pk]), {
        "left_on": "2026-11-24", "reason": "合同终止", f"to_{book['wang'].account_id}": f"intermediary:{ib2.code}"})
    ib.refresh_from_db()
    assert ib.status == "left"
    assert IntermediaryLink.objects.get(client=book["wang"], valid_to__isnull=True).intermediary == ib2


def test_referral_and_club_pages(client, staff, book):
    client.force_login(staff["am1"])
    resp = client.post(reverse("referrals:referral_new"), {
        "referrer_account": book["zhang"].account_id, "prospect_name": "陈六", "referred_on": "2026-11-02"})
    referral = Referral.objects.get()
    assert resp.status_code == 302 and referral.referrer_client == book["zhang"]
    client.post(reverse("referrals:referral", args=[referral.pk]), {
        "action": "advance", "advance-status": "opened", "advance-on": "2026-11-05",
        "advance-referred_account": book["zhao"].account_id})
    referral.refresh_from_db()
    assert referral.status == "opened" and referral.referred_client == book["zhao"]
    client.force_login(staff["marketing"])
    client.post(reverse("referrals:membership", args=[book["zhang"].pk]), {"level": "gold", "status": "active",
                                                                         "joined_on": "2026-01-01"})
    assert ClubMembership.objects.get(client=book["zhang"]).level == "gold"
    page = client.get(reverse("referrals:club"), {"level": "gold", "branch": book["zhang"].branch.pk})
    assert book["zhang"].account_id in page.content.decode()
    assert book["zhang"].account_id not in client.get(reverse("referrals:club"), {"level": "silver"}).content.decode()


def test_workload_page_and_csv(client, staff, book):
    settle(book["zhang"], DAY, equity="123456.78", commission="10", exchange_fee="4")
    client.force_login(staff["bm_sh"])
    body = client.get(reverse("referrals:workload")).content.decode()
    assert "123,456.78" in body and "王经理" in body
    csv_text = b"".join(client.get(reverse("referrals:workload"), {"export": "csv"}).streaming_content).decode()
    assert "AM001" in csv_text and "6.00" in csv_text


def test_handover_of_an_empty_book_still_deactivates(client, staff):
    client.force_login(staff["admin"])
    params = {"leaving_manager": staff["am2"].pk, "successors": [staff["am1"].pk], "strategy": "count"}
    Client.objects.filter(account_manager=staff["am2"]).delete()
    page = client.get(reverse("referrals:handover"), params).content.decode()
    assert "This manager has no clients." in page
    client.post(reverse("referrals:handover"), {**params, "reason": "离职"})
    assert not StaffProfile.objects.get(user=staff["am2"]).is_active


def test_list_exports_follow_filters_and_scope(client, staff, book):
    from referrals import services

    for key in ("zhang", "li"):
        services.club_membership_set(client=book[key], by=staff["admin"], level="gold" if key == "zhang" else "silver",
                                     status="active", joined_on=DAY)
        services.referral_create(by=staff["admin"], prospect_name=f"被{key}推荐", referred_on=DAY,
                                 referrer_client=book[key])
    client.force_login(staff["marketing"])
    text = b"".join(client.get(reverse("referrals:club"), {"level": "gold", "export": "csv"}).streaming_content)
    assert book["zhang"].account_id.encode() in text and book["li"].account_id.encode() not in text
    client.force_login(staff["am1"])
    text = b"".join(client.get(reverse("referrals:referrals"), {"export": "csv"}).streaming_content).decode()
    assert "被zhang推荐" in text and "被li推荐" not in text
