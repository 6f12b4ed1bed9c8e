"""Row-level access through the API: each role sees exactly its clients; unseen is 404."""

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    "admin": {"zhang", "zhao", "li", "wang"},
    "head": {"zhang", "zhao", "li", "wang"},
    "compliance": {"zhang", "zhao", "li", "wang"},
    "bm_sh": {"zhang", "zhao", "li"},
    "bm_bj": {"wang"},
    "am1": {"zhang", "zhao"},
    "am2": {"li"},
    "agent": {"zhang", "zhao", "li", "wang"},
    "backoffice": {"zhang", "zhao", "li", "wang"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_api_list_and_detail_respect_scope(api, staff, book, who):
    client = api(staff[who])
    listed = {row["account_id"] for row in client.get("/api/clients/").json()["results"]}
    expected = {book[k].account_id for k in EXPECTED[who]}
    assert listed == expected
    for key, obj in book.items():
        status = client.get(f"/api/clients/{obj.pk}/").status_code
        assert status == (200 if key in EXPECTED[who] else 404), (who, key)


def test_client_json_carries_contract_keys_and_masks_id(api, staff, book):
    data = api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/").json()
    for key in ("account_id", "name", "client_type", "status", "branch", "account_manager", "profile_complete",
                "segments", "churn", "lifetime_value", "loyalty"):
        assert key in data
    assert data["segments"] is None and data["churn"] is None
    assert "id_number" not in data
    assert data["id_number_masked"] == book["zhang"].id_number[:6] + "********" + book["zhang"].id_number[-4:]
    assert data["account_manager"] == "AM001"


def test_pinyin_search_through_api(api, staff, book):
    client = api(staff["admin"])
    for q in ("zs", "zhangsan", "张三", book["zhang"].id_number[-4:], "138 0000 1111", "+86 13800001111"):
        names = [r["name"] for r in client.get("/api/clients/", {"q": q}).json()["results"]]
        assert names == ["张三"], q


def test_api_create_validates_and_answers_400_with_field_messages(api, staff, branches):
    from clients.identity import id_card_with_check

    rest = api(staff["backoffice"])
    body = {"account_id": "8009100001", "name": "孙悟空", "client_type": "individual", "status": "active",
            "branch": branches[0].code, "id_type": "id_card", "id_number": "310115199003071230"}
    bad = rest.post("/api/clients/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400 and "校验码" in bad.json()["id_number"][0]
    body["id_number"] = id_card_with_check("31011519900307123")
    created = rest.post("/api/clients/", body, format="json")
    assert created.status_code == 201 and created.json()["name"] == "孙悟空"
    assert rest.post("/api/clients/", body, format="json").status_code == 400  # duplicate account
    assert rest.post("/api/clients/", {"branch": "NOPE"}, format="json").status_code == 400


def test_drf_create_token_gives_the_back_office_a_working_token(staff, book):
    import io

    from django.core.management import call_command
    from rest_framework.test import APIClient

    out = io.StringIO()
    call_command("drf_create_token", staff["backoffice"].username, stdout=out)
    token = out.getvalue().split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/clients/").json()["count"] == 4
    assert APIClient().get("/api/clients/").status_code in (401, 403)


# The indicator history (GET /api/indicators/): 200 inside the caller's reach, 403 for a level of scope the role
# never reads, 404 for a code outside its reach (as for a client it cannot see).
INDICATOR_ACCESS = {
    "admin": {("firm", ""): 200, ("branch", "BJ01"): 200, ("manager", "AM002"): 200},
    "head": {("firm", ""): 200, ("branch", "SH01"): 200, ("manager", "AM001"): 200},
    "compliance": {("firm", ""): 200, ("branch", "BJ01"): 200},
    "backoffice": {("firm", ""): 200},
    "bm_sh": {("firm", ""): 403, ("branch", "SH01"): 200, ("branch", "BJ01"): 404, ("manager", "AM001"): 200},
    "bm_bj": {("branch", "BJ01"): 200, ("branch", "SH01"): 404, ("manager", "AM002"): 404},
    "am1": {("manager", "AM001"): 200, ("manager", "AM002"): 404, ("branch", "SH01"): 403, ("firm", ""): 403},
    "am2": {("manager", "AM002"): 200, ("manager", "AM001"): 404},
    "agent": {("firm", ""): 403, ("manager", "AM001"): 403},
}


@pytest.mark.parametrize("who", sorted(INDICATOR_ACCESS))
def test_indicator_history_respects_scope(api, staff, book, who):
    client = api(staff[who])
    for (scope, code), status in INDICATOR_ACCESS[who].items():
        response = client.get("/api/indicators/", {"scope": scope, "code": code})
        assert response.status_code == status, (who, scope, code)


@pytest.mark.parametrize("path,params", [("settlement", {"group": "year"}), ("statement", {"month": "2025-03"})])
@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_api_settlement_history_and_statement_are_scoped_like_the_client(api, staff, book, who, path, params):
    client = api(staff[who])
    for key, obj in book.items():
        status = client.get(f"/api/clients/{obj.pk}/{path}/", params).status_code
        assert status == (200 if key in EXPECTED[who] else 404), (who, key)
