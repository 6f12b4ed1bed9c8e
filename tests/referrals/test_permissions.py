"""The permission suite: each role sees exactly its relationship records on pages and API; unseen is 404."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import ClubMembership, Intermediary, RebateStatement

from .conftest import link, settle

pytestmark = pytest.mark.django_db
ROLES = ["admin", "head", "bm_sh", "bm_bj", "am1", "am2", "agent", "marketing", "compliance", "backoffice"]


@pytest.fixture
def world(staff, book):
    ib1 = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=Decimal("0.4"))
    ib2 = Intermediary.objects.create(code="IB002", name="吴居间", rebate_rate=Decimal("0.3"))
    link(book["zhang"], ib1)
    link(book["wang"], ib2)
    day = datetime.date(2026, 11, 2)
    refs = {
        "ref_zhang": services.referral_create(by=staff["am1"], prospect_name="陈六", referred_on=day,
                                              referrer_client=book["zhang"]),
        "ref_li": services.referral_create(by=staff["am2"], prospect_name="孙七", referred_on=day,
                                           referrer_client=book["li"]),
        "ref_staff": services.referral_create(by=staff["marketing"], prospect_name="周八", referred_on=day,
                                              referrer_staff=staff["marketing"]),
    }
    clubs = {
        "club_zhang": ClubMembership.objects.create(client=book["zhang"], joined_on=day),
        "club_wang": ClubMembership.objects.create(client=book["wang"], joined_on=day),
    }
    services.client_reassign(client=book["zhang"], to_manager=staff["am1"], by=staff["admin"], reason="首次分配") \
        if book["zhang"].account_manager_id != staff["am1"].pk else None
    settle(book["zhang"], day)  # a statement is drafted for a month of stored settlement
    statement = services.rebate_statement_draft(intermediary=ib1, month=day, by=staff["compliance"])
    return {"IB001": ib1, "IB002": ib2, **refs, **clubs, "statement": statement}


ALL_IB = {"IB001", "IB002"}
INTERMEDIARIES = {"admin": ALL_IB, "head": ALL_IB, "compliance": ALL_IB, "backoffice": ALL_IB,
                  "bm_sh": {"IB001"}, "bm_bj": {"IB002"}, "am1": {"IB001"}, "am2": set()}
ALL_REF = {"ref_zhang", "ref_li", "ref_staff"}
REFERRALS = {"admin": ALL_REF, "head": ALL_REF, "compliance": ALL_REF, "marketing": ALL_REF,
             "bm_sh": {"ref_zhang", "ref_li"}, "bm_bj": set(), "am1": {"ref_zhang"}, "am2": {"ref_li"}}
ALL_CLUB = {"club_zhang", "club_wang"}
CLUB = {"admin": ALL_CLUB, "head": ALL_CLUB, "marketing": ALL_CLUB, "bm_sh": {"club_zhang"}, "bm_bj": {"club_wang"},
        "am1": {"club_zhang"}, "am2": set()}
PAGE_ROLES = set(ROLES) - {"backoffice"}


def _page(django_client, user, url):
    django_client.force_login(user)
    return django_client.get(url)


@pytest.mark.parametrize("who", ROLES)
def test_intermediaries_page_and_api(client, api, staff, world, who):
    visible = INTERMEDIARIES.get(who)
    rest = api(staff[who])
    resp = rest.get("/api/intermediaries/")
    if visible is None:
        assert resp.status_code == 403
    else:
        assert {r["code"] for r in resp.json()["results"]} == visible
        for code in ALL_IB:
            assert rest.get(f"/api/intermediaries/{world[code].pk}/").status_code == (200 if code in visible else 404)
        links = {r["intermediary"] for r in rest.get("/api/intermediary-links/").json()["results"]}
        assert links == visible
    page = _page(client, staff[who], reverse("referrals:intermediaries"))
    if who == "backoffice" or visible is None:
        assert page.status_code == 403
        return
    assert page.status_code == 200
    for code in ALL_IB:
        assert (code in page.content.decode()) == (code in visible)
        detail = client.get(reverse("referrals:intermediary", args=[world[code].pk]))
        assert detail.status_code == (200 if code in visible else 404), (who, code)


@pytest.mark.parametrize("who", ROLES)
def test_intermediary_writes_only_for_compliance_and_admin(client, api, staff, world, who):
    rest = api(staff[who])
    resp = rest.post("/api/intermediaries/", {"code": f"N{who}", "name": "新居间", "rebate_rate": "0.2"},
                     format="json")
    allowed = who in {"admin", "compliance"}
    assert resp.status_code == (201 if allowed else 403), resp.content
    if who in PAGE_ROLES:
        page = _page(client, staff[who], reverse("referrals:intermediary_new"))
        assert page.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("who", ROLES)
def test_referrals_page_and_api(client, api, staff, world, who):
    visible = REFERRALS.get(who)
    rest = api(staff[who])
    resp = rest.get("/api/referrals/")
    if visible is None:
        assert resp.status_code == 403
    else:
        assert {r["prospect_name"] for r in resp.json()["results"]} == {world[k].prospect_name for k in visible}
        for key in ALL_REF:
            got = rest.get(f"/api/referrals/{world[key].pk}/").status_code
            assert got == (200 if key in visible else 404), (who, key)
    if who not in PAGE_ROLES:
        return
    page = _page(client, staff[who], reverse("referrals:referrals"))
    if visible is None:
        assert page.status_code == 403
        return
    body = page.content.decode()
    for key in ALL_REF:
        assert (world[key].prospect_name in body) == (key in visible)
        got = client.get(reverse("referrals:referral", args=[world[key].pk])).status_code
        assert got == (200 if key in visible else 404)
    assert client.get(reverse("referrals:conversion")).status_code == 200


@pytest.mark.parametrize("who", ROLES)
def test_club_page_and_api(client, api, staff, world, book, who):
    visible = CLUB.get(who)
    rest = api(staff[who])
    resp = rest.get("/api/club-members/")
    if visible is None:
        assert resp.status_code == 403
    else:
        names = {r["client"] for r in resp.json()["results"]}
        assert names == {world[k].client.account_id for k in visible}
    if who not in PAGE_ROLES:
        return
    page = _page(client, staff[who], reverse("referrals:club"))
    if visible is None:
        assert page.status_code == 403
        return
    body = page.content.decode()
    for key in ALL_CLUB:
        assert (world[key].client.account_id in body) == (key in visible)


@pytest.mark.parametrize("who", ROLES)
def test_management_pages(client, api, staff, world, book, who):
    allowed = who in {"admin", "head", "bm_sh", "bm_bj"}
    for url in ("/api/manager-workload/", "/api/handovers/", "/api/orphaned-clients/", "/api/unmanaged-key-clients/"):
        assert api(staff[who]).get(url).status_code == (200 if allowed else 403), url
    if who not in PAGE_ROLES:
        return
    client.force_login(staff[who])
    for name in ("workload", "handover", "key_clients", "orphans"):
        assert client.get(reverse(f"referrals:{name}")).status_code == (200 if allowed else 403), name
    # Reassigning a client: only assigners, and only clients they see (another branch's client is 404).
    got = client.get(reverse("referrals:assign", args=[book["zhang"].pk])).status_code
    expected = 403 if not allowed else 404 if who == "bm_bj" else 200
    assert got == expected


@pytest.mark.parametrize("who", ROLES)
def test_statements_only_for_compliance_and_management(client, api, staff, world, who):
    allowed = who in {"admin", "head", "compliance"}
    st: RebateStatement = world["statement"]
    assert api(staff[who]).get("/api/rebate-statements/").status_code == (200 if allowed else 403)
    if who in PAGE_ROLES:
        client.force_login(staff[who])
        url = reverse("referrals:statement", args=[st.intermediary_id, f"{st.month:%Y-%m}"])
        assert client.get(url).status_code == (200 if allowed else 403)


def test_client_page_shows_relationship_panel(client, staff, book, world):
    client.force_login(staff["am1"])
    body = client.get(reverse("clients:detail", args=[book["zhang"].pk])).content.decode()
    assert "陈六" in body and "周居间" in body  # whom zhang referred, and the intermediary
    assert reverse("referrals:assign", args=[book["zhang"].pk]) not in body  # a manager cannot reassign
    client.force_login(staff["bm_sh"])
    body = client.get(reverse("clients:detail", args=[book["zhang"].pk])).content.decode()
    assert reverse("referrals:assign", args=[book["zhang"].pk]) in body


def test_api_scoped_writes_cannot_reach_unseen_clients(api, staff, book, world):
    # am1 cannot record a referral naming another manager's client: the account is unknown to them.
    resp = api(staff["am1"]).post("/api/referrals/", {"referrer_client": book["li"].account_id,
                                                      "prospect_name": "x", "referred_on": "2026-11-02"},
                                  format="json")
    assert resp.status_code == 400
    # A branch manager cannot reassign another branch's client.
    resp = api(staff["bm_bj"]).post("/api/manager-assignments/", {
        "client": book["zhang"].account_id, "to_manager": "AM002", "reason": "x"}, format="json")
    assert resp.status_code == 400
    resp = api(staff["bm_sh"]).post("/api/manager-assignments/", {
        "client": book["zhang"].account_id, "to_manager": "AM002", "reason": "调整"}, format="json")
    assert resp.status_code == 201 and resp.json()["from_manager"] == "AM001"


def test_manager_sees_the_flag_but_not_other_managers_clients(client, staff, book, world):
    from .conftest import settle

    # li (am2's client) joins IB001 and blows up; am1 can open IB001 (zhang is theirs) but must not see li.
    link(book["li"], world["IB001"])
    settle(book["li"], datetime.date(2026, 11, 2), equity="-500")
    client.force_login(staff["am1"])
    body = client.get(reverse("referrals:intermediary", args=[world["IB001"].pk])).content.decode()
    assert book["li"].account_id not in body and book["zhang"].account_id in body
    assert 'badge danger">' in body  # the warning flag itself is raised
    assert book["li"].account_id not in client.get(reverse("referrals:compliance")).content.decode()
    client.force_login(staff["compliance"])
    body = client.get(reverse("referrals:intermediary", args=[world["IB001"].pk])).content.decode()
    assert book["li"].account_id in body
