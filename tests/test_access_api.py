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
