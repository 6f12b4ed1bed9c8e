"""The client pages as staff use them: search, filters, sorting, export, create, edit, suitability, contacts."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from clients.identity import id_card_with_check, uscc_with_check
from clients.models import Client, SuitabilityAssessment
from futures_crm.models import AuditEntry
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def names_on(response) -> list[str]:
    return [c.name for c in response.context["page_obj"]]


def export_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("q", ["zs", "ZS", "zhangsan", "zhang", "张三", "张"])
def test_pinyin_full_and_initials_find_zhang_san_on_the_page(client, staff, book, q):
    client.force_login(staff["admin"])
    assert names_on(client.get("/clients/", {"q": q})) == ["张三"]


def test_search_by_account_phone_and_id_last_four(client, staff, book):
    client.force_login(staff["admin"])
    zhang = book["zhang"]
    for q in (zhang.account_id, "13800001111", "138-0000-1111", zhang.id_number[-4:]):
        assert names_on(client.get("/clients/", {"q": q})) == ["张三"], q


@pytest.mark.parametrize("q", ["三", "恒通", "上海恒通贸", "贸易有限公司", "ltd"])
def test_a_name_fragment_is_found_anywhere_in_the_name(client, staff, book, branches, q):
    """The name search is a substring search (through the name-grams index: clients migration 0013)."""
    ClientFactory(name="上海恒通贸易有限公司 Ltd", client_type="spot_enterprise", id_type="business_license",
                  id_number=uscc_with_check("91310115MA1K00002"), branch=branches[0])
    client.force_login(staff["admin"])
    expected = ["张三"] if q == "三" else ["上海恒通贸易有限公司 Ltd"]
    assert names_on(client.get("/clients/", {"q": q})) == expected


def test_a_phone_fragment_finds_the_client_for_staff_who_see_phones(client, staff, book):
    client.force_login(staff["admin"])
    assert names_on(client.get("/clients/", {"q": "00001111"})) == ["张三"]


def test_a_list_longer_than_its_cap_says_more_than(client, staff, book, monkeypatch):
    from clients.views import ClientListView

    monkeypatch.setattr(ClientListView, "count_cap", 2)
    monkeypatch.setattr(ClientListView, "paginate_by", 1)
    client.force_login(staff["admin"])
    page = client.get("/clients/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 2 records" in page and "Page 1 of more than 2" in page
    assert "2 records" not in page.replace("More than 2 records", "")
    client.force_login(staff["am2"])  # one client: counted exactly
    assert "1 record" in client.get("/clients/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_pinyin_keys_are_stored_not_computed_per_request(book):
    zhao = Client.objects.get(pk=book["zhao"].pk)
    assert (zhao.name_pinyin, zhao.name_initials) == ("zhaomin", "zm")
    indexed = {f.name for f in Client._meta.fields if f.db_index}
    assert {"name_pinyin", "name_initials", "id_last4"} <= indexed


def test_filters_sorting_and_export_of_exactly_what_is_filtered(client, staff, book, branches):
    sh, bj = branches
    ClientFactory(name="钱六", branch=sh, client_type="spot_enterprise", id_type="business_license",
                  id_number=uscc_with_check("91310115MA1K00001"), status="dormant", channel="intermediary",
                  risk_level="C4", account_manager=staff["am1"])
    client.force_login(staff["admin"])
    assert names_on(client.get("/clients/", {"branch": bj.pk})) == ["王五"]
    assert names_on(client.get("/clients/", {"client_type": "spot_enterprise"})) == ["钱六"]
    assert names_on(client.get("/clients/", {"status": "dormant"})) == ["钱六"]
    assert names_on(client.get("/clients/", {"channel": "intermediary"})) == ["钱六"]
    assert names_on(client.get("/clients/", {"risk_level": "C4"})) == ["钱六"]
    assert sorted(names_on(client.get("/clients/", {"account_manager": staff["am1"].pk}))) == ["张三", "赵敏", "钱六"]
    by_name = names_on(client.get("/clients/", {"ordering": "name"}))
    assert by_name == ["李四", "钱六", "王五", "张三", "赵敏"]  # pinyin order: li, qian, wang, zhang, zhao
    assert names_on(client.get("/clients/", {"ordering": "-name"})) == by_name[::-1]
    rows = export_rows(client.get("/clients/", {"account_manager": staff["am1"].pk, "ordering": "name",
                                                "export": "csv"}))
    assert rows[0][:2] == ["Fund account", "Name"]
    assert [r[1] for r in rows[1:]] == ["钱六", "张三", "赵敏"]


def test_segment_filters_exist_and_show_not_computed_yet(client, staff, book):
    client.force_login(staff["admin"])
    response = client.get("/clients/")
    for field in ("purpose", "fund_size", "volume", "tenure"):
        assert field in response.context["filter"].form.fields
    assert "not computed yet" in response.content.decode()
    assert names_on(client.get("/clients/", {"purpose": "hedger"})) == []


def test_list_paginates_by_fifty(client, staff, branches):
    ClientFactory.create_batch(60, branch=branches[0])
    client.force_login(staff["admin"])
    first = client.get("/clients/")
    assert len(first.context["page_obj"]) == 50 and first.context["paginator"].count == 60
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get("/clients/", {"page": 2}).context["page_obj"]) == 10


def test_account_manager_does_not_get_branch_and_manager_filters(client, staff, book):
    client.force_login(staff["am1"])
    fields = client.get("/clients/").context["filter"].form.fields
    assert "branch" not in fields and "account_manager" not in fields


def new_client_form(branch, **overrides):
    data = {
        "account_id": "8009000001", "name": "欧阳娜娜", "client_type": "individual", "id_type": "id_card",
        "id_number": id_card_with_check("31011519900307123"), "branch": branch.pk, "open_date": "2025-03-01",
        "status": "active", "channel": "staff", "phone": "13912345678", "tags_text": "高净值，套保需求",
        "consent_phone": "on",
    }
    data.update(overrides)
    return data


def test_create_client_through_the_form_is_audited(client, staff, branches):
    client.force_login(staff["bm_sh"])
    response = client.post("/clients/new/", new_client_form(branches[0], account_manager=staff["am1"].pk))
    created = Client.objects.get(account_id="8009000001")
    assert response.status_code == 302 and response["Location"] == f"/clients/{created.pk}/"
    assert (created.name_pinyin, created.name_initials) == ("ouyangnana", "oynn")
    assert created.tags == ["高净值", "套保需求"] and created.account_manager == staff["am1"]
    entry = AuditEntry.objects.get(action="client.create", client=created)
    assert entry.actor == staff["bm_sh"] and entry.after["id_number"].startswith("310115********")


def test_account_manager_creates_clients_in_their_own_book(client, staff, branches):
    client.force_login(staff["am2"])
    form = client.get("/clients/new/").context["form"]
    assert list(form.fields["account_manager"].queryset) == [staff["am2"]]
    client.post("/clients/new/", new_client_form(branches[0], account_manager=staff["am2"].pk))
    assert Client.objects.get(account_id="8009000001").account_manager == staff["am2"]
    refused = client.post("/clients/new/", new_client_form(branches[0], account_id="8009000002",
                                                           account_manager=staff["am1"].pk))
    assert refused.status_code == 200 and not Client.objects.filter(account_id="8009000002").exists()


@pytest.mark.parametrize("lang,message", [
    ("en", "This is not a valid resident ID number"),
    ("zh-hans", "这不是有效的居民身份证号码"),
])
def test_bad_id_number_is_refused_in_the_users_language(client, staff, branches, lang, message):
    client.force_login(staff["admin"])
    bad = new_client_form(branches[0], id_number="310115199003071230")  # wrong check digit
    response = client.post("/clients/new/", bad, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Client.objects.filter(account_id="8009000001").exists()


def test_enterprise_needs_a_valid_credit_code(client, staff, branches):
    client.force_login(staff["admin"])
    data = new_client_form(branches[0], client_type="spot_enterprise", id_type="business_license",
                           name="上海鑫源贸易有限公司", id_number="91310115MA1K000010")
    response = client.post("/clients/new/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "这不是有效的统一社会信用代码" in response.content.decode()
    data["id_number"] = uscc_with_check("91310115MA1K00001")
    assert client.post("/clients/new/", data).status_code == 302


def test_duplicate_account_and_required_fields_are_field_errors(client, staff, book, branches):
    client.force_login(staff["admin"])
    response = client.post("/clients/new/", new_client_form(branches[0], account_id=book["zhang"].account_id,
                                                            name=""), HTTP_ACCEPT_LANGUAGE="zh-hans")
    errors = response.context["form"].errors
    assert "account_id" in errors and "name" in errors
    assert "该字段是必填项" in response.content.decode()


def test_edit_keeps_the_stored_id_number_and_the_manager_changes_only_by_reassignment(client, staff, book):
    zhang = book["zhang"]
    client.force_login(staff["bm_sh"])
    form = client.get(f"/clients/{zhang.pk}/edit/").context["form"]
    assert form.initial["id_number"] == "" and zhang.id_number not in str(form)
    # The manager and the branch are shown, not edited: they change through the reassignment page.
    assert form.fields["account_manager"].disabled and form.fields["branch"].disabled
    data = {k: v for k, v in form.initial.items() if v is not None and k != "id"}
    data.update(account_manager=staff["am2"].pk, city="杭州", tags_text="", branch=zhang.branch_id,
                birthday="", open_date="2024-01-02", close_date="")
    for flag in ("consent_phone", "consent_sms", "consent_email", "consent_wechat", "is_key"):
        data[flag] = "on" if form.initial.get(flag) else ""
    response = client.post(f"/clients/{zhang.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    zhang.refresh_from_db()
    assert zhang.id_number == book["zhang"].id_number and zhang.account_manager == staff["am1"]
    entry = AuditEntry.objects.get(client=zhang)
    assert entry.action == "client.update" and entry.after == {"city": "杭州"}
    response = client.post(f"/relationships/clients/{zhang.pk}/assign/", {"to_manager": staff["am2"].pk,
                                                                            "reason": "客户要求"})
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.account_manager == staff["am2"]
    entry = AuditEntry.objects.get(client=zhang, action="client.reassign")
    assert entry.before["account_manager"] == staff["am1"].pk
    client.force_login(staff["compliance"])
    trail = client.get(f"/clients/{zhang.pk}/?tab=audit").content.decode()
    assert "王经理 (AM001)" in trail and "李经理 (AM002)" in trail and "client.reassign" in trail


def test_suitability_current_expired_warning_and_new_assessment(client, staff, book):
    zhang = book["zhang"]
    today = timezone.localdate()
    SuitabilityAssessment.objects.create(client=zhang, investor_class="ordinary", risk_level="C3", knowledge_score=85,
                                         assessed_on=today - datetime.timedelta(days=800),
                                         expires_on=today - datetime.timedelta(days=70))
    client.force_login(staff["am1"])
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "The assessment expired on" in page
    response = client.post(f"/clients/{zhang.pk}/suitability/", {
        "investor_class": "professional", "risk_level": "C4", "knowledge_score": 92,
        "assessed_on": today.isoformat(), "expires_on": (today + datetime.timedelta(days=730)).isoformat()})
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert (zhang.investor_class, zhang.risk_level) == ("professional", "C4")
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "The assessment expired on" not in page and "Assessment history" in page
    assert AuditEntry.objects.filter(action="suitability.record", client=zhang).exists()


def test_suitability_form_rejects_expiry_before_assessment(client, staff, book):
    client.force_login(staff["compliance"])
    response = client.post(f"/clients/{book['li'].pk}/suitability/", {
        "investor_class": "ordinary", "risk_level": "C3", "assessed_on": "2025-05-01", "expires_on": "2025-04-01"},
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and "到期日必须晚于评估日期" in response.content.decode()
    assert not book["li"].suitability_assessments.exists()


def test_contact_log_added_from_the_client_page(client, staff, book):
    zhang = book["zhang"]
    client.force_login(staff["am1"])
    response = client.post(f"/clients/{zhang.pk}/contacts/", {
        "contacted_at": "2025-06-03T15:30", "channel": "face_to_face", "place": "客户公司",
        "summary": "讨论套期保值方案", "impression": "积极", "next_step": "下周发送方案"})
    assert response.status_code == 302 and response["Location"].endswith("#contacts")
    log = zhang.contact_logs.get()
    assert log.by == staff["am1"] and timezone.localtime(log.contacted_at).hour == 15
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "讨论套期保值方案" in page and "Contact recorded." in page
    missing = client.post(f"/clients/{zhang.pk}/contacts/", {"channel": "phone", "contacted_at": "2025-06-03T15:30"},
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert missing.status_code == 200 and "该字段是必填项" in missing.content.decode()


def test_client_page_without_segments_says_not_computed_yet(client, staff, book):
    client.force_login(staff["am1"])
    page = client.get(f"/clients/{book['zhang'].pk}/").content.decode()
    assert "not computed yet" in page and "No suitability assessment on file." in page


def test_navigation_and_language_switch(client, staff, book):
    client.force_login(staff["agent"])
    page = client.get("/clients/").content.decode()
    assert 'href="/clients/"' in page and 'name="language"' in page and "New client" not in page
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/clients/"})
    assert response.status_code == 302
    page = client.get("/clients/").content.decode()
    assert "客户" in page and "资金账号" in page and "退出登录" in page


def test_branch_manager_filters_offer_only_their_branch_and_its_managers(client, staff, book, branches):
    from tests.factories import make_staff

    make_staff("account_manager", branch=branches[1], username="am_bj", code="AMBJ1", name="北京经理")
    client.force_login(staff["bm_sh"])
    page = client.get("/clients/").content.decode()
    assert "王经理 (AM001)" in page and "李经理 (AM002)" in page
    assert "北京经理" not in page and "北京营业部" not in page


def test_surnames_are_read_as_surnames_company_names_as_words(client, staff, branches):
    from clients.services import client_create

    common = {"branch": branches[0], "status": "active", "open_date": datetime.date(2024, 1, 2)}
    client_create(by=staff["admin"], account_id="8009300001", name="曾伟", client_type="individual",
                  id_type="id_card", id_number=id_card_with_check("31011519800101123"), **common)
    client_create(by=staff["admin"], account_id="8009300002", name="长江实业有限公司", client_type="institution",
                  id_type="business_license", id_number=uscc_with_check("91310115MA1K00002"), **common)
    client.force_login(staff["admin"])
    for q in ("zengwei", "zw", "zeng"):
        assert names_on(client.get("/clients/", {"q": q})) == ["曾伟"], q
    assert names_on(client.get("/clients/", {"q": "changjiang"})) == ["长江实业有限公司"]
    assert names_on(client.get("/clients/", {"q": "cjsy"})) == ["长江实业有限公司"]
