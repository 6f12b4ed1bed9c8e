"""Issue 11: every rule of a client write lives in the service, so the page and the API refuse the same
things, name the field, and leave the row as it was."""

import datetime

import pytest
from django.forms.models import model_to_dict

from clients.identity import id_card_with_check
from clients.models import Client
from futures_crm.models import AuditEntry
from futures_crm.roles import Role
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
DOORS = ["page", "api"]


def stored(client: Client) -> dict:
    return model_to_dict(Client.objects.get(pk=client.pk))


@pytest.fixture
def bj_manager(branches):
    return make_staff(Role.ACCOUNT_MANAGER, branch=branches[1], username="am_bj", code="AM009")


def edit(django_client, api, user, target: Client, door: str, **changes):
    """Send `changes` to the client through one door; the page posts the whole edit form, as a browser does."""
    if door == "api":
        return api(user).patch(f"/api/clients/{target.pk}/", changes, format="json")
    django_client.force_login(user)
    form = django_client.get(f"/clients/{target.pk}/edit/").context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    for flag in ("consent_phone", "consent_sms", "consent_email", "consent_wechat", "is_key"):
        data[flag] = "on" if form.initial.get(flag) else ""
    for name, value in changes.items():
        data[name] = ("on" if value else "") if isinstance(value, bool) else value
    return django_client.post(f"/clients/{target.pk}/edit/", data)


def refused_on(response, door: str, field: str) -> bool:
    """The door said no and named the field: a 400 with the field (API), the form with the field's error (page)."""
    if door == "api":
        return response.status_code == 400 and field in response.json()
    return response.status_code == 200 and field in response.context["form"].errors


def new_client(branch, **overrides) -> dict:
    data = {"account_id": "8009000001", "name": "欧阳娜娜", "client_type": "individual", "id_type": "id_card",
            "id_number": id_card_with_check("31011519900307123"), "branch": branch, "open_date": "2025-03-01",
            "status": "active"}
    data.update(overrides)
    return data


def create(django_client, api, user, door: str, **fields):
    if door == "api":
        branch = fields["branch"]
        body = {**fields, "branch": branch.code}
        if fields.get("account_manager") is not None:
            body["account_manager"] = fields["account_manager"].staff_profile.employee_code
        return api(user).post("/api/clients/", body, format="json")
    django_client.force_login(user)
    data = {k: ("" if v is None else v) for k, v in fields.items()}
    data["branch"] = fields["branch"].pk
    if fields.get("account_manager") is not None:
        data["account_manager"] = fields["account_manager"].pk
    return django_client.post("/clients/new/", data)


# ---------------------------------------------------------------- an account manager's edits

@pytest.mark.parametrize("door", DOORS)
def test_account_manager_cannot_move_a_client_to_another_branch(client, api, staff, book, branches, door):
    zhang = book["zhang"]
    before = stored(zhang)
    response = edit(client, api, staff["am1"], zhang, door, branch=branches[1].code if door == "api"
                    else branches[1].pk)
    if door == "api":
        assert refused_on(response, door, "branch")
        assert "reassignment" in response.json()["branch"][0]
    # The page shows the branch read-only: a forged value is not an edit.
    assert stored(zhang) == before
    assert not AuditEntry.objects.filter(client=zhang).exists()


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("target", ["am2", "agent", "backoffice"])
def test_account_manager_cannot_hand_a_client_to_anyone(client, api, staff, book, door, target):
    zhang, user = book["zhang"], staff[target]
    before = stored(zhang)
    response = edit(client, api, staff["am1"], zhang, door, account_manager=(
        user.staff_profile.employee_code if door == "api" else user.pk))
    if door == "api":
        assert refused_on(response, door, "account_manager")
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_branch_manager_changes_the_manager_only_by_reassignment(client, api, staff, book, door):
    zhang = book["zhang"]
    before = stored(zhang)
    response = edit(client, api, staff["bm_sh"], zhang, door, account_manager=(
        "AM002" if door == "api" else staff["am2"].pk))
    if door == "api":
        assert refused_on(response, door, "account_manager")
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field,value", [("risk_level", "C5"), ("investor_class", "professional")])
@pytest.mark.parametrize("who", ["am1", "bm_sh", "admin"])
def test_suitability_fields_change_only_by_an_assessment(client, api, staff, book, door, field, value, who):
    zhang = book["zhang"]
    before = stored(zhang)
    response = edit(client, api, staff[who], zhang, door, **{field: value})
    if door == "api":
        assert refused_on(response, door, field)
        assert "suitability assessment" in response.json()[field][0]
    else:  # the form has no such field: nothing typed there reaches the record
        assert response.status_code == 302
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field,value", [("status", "closed"), ("is_key", True)])
def test_status_and_key_mark_are_not_an_account_managers(client, api, staff, book, door, field, value):
    zhang = book["zhang"]
    before = stored(zhang)
    response = edit(client, api, staff["am1"], zhang, door, **{field: value})
    if door == "api":
        assert refused_on(response, door, field)
    else:  # read-only on the page, with the reason as its help text
        form = client.get(f"/clients/{zhang.pk}/edit/").context["form"]
        assert form.fields[field].disabled and form.fields[field].help_text
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_a_branch_manager_decides_status_and_key_mark(client, api, staff, book, door):
    zhang = book["zhang"]
    response = edit(client, api, staff["bm_sh"], zhang, door, status="dormant", is_key=True)
    assert response.status_code == (200 if door == "api" else 302)
    zhang.refresh_from_db()
    assert (zhang.status, zhang.is_key) == ("dormant", True)


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("birthday", ["2099-01-01", "1899-12-31", "0001-01-01"])
def test_birthday_in_a_sane_range(client, api, staff, book, door, birthday):
    zhang = book["zhang"]
    before = stored(zhang)
    response = edit(client, api, staff["am1"], zhang, door, birthday=birthday)
    assert refused_on(response, door, "birthday")
    if door == "page":  # the form comes back with what was typed
        assert response.context["form"]["birthday"].value() == birthday
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_close_date_not_before_open_date_and_dates_sane(client, api, staff, book, door):
    zhang = book["zhang"]
    before = stored(zhang)
    assert refused_on(edit(client, api, staff["bm_sh"], zhang, door, close_date="2023-12-31"), door, "close_date")
    assert refused_on(edit(client, api, staff["bm_sh"], zhang, door, open_date="9999-12-31"), door, "open_date")
    assert stored(zhang) == before


@pytest.mark.parametrize("door", DOORS)
def test_id_type_must_fit_the_client_type(client, api, staff, branches, door):
    response = create(client, api, staff["admin"], door, **new_client(branches[0], id_type="business_license"))
    assert refused_on(response, door, "id_type")
    assert not Client.objects.filter(account_id="8009000001").exists()


@pytest.mark.parametrize("door", DOORS)
def test_a_fund_account_is_digits(client, api, staff, branches, door):
    response = create(client, api, staff["admin"], door, **new_client(branches[0], account_id="ABC123"))
    assert refused_on(response, door, "account_id")
    assert not Client.objects.filter(account_id="ABC123").exists()


@pytest.mark.parametrize("door", DOORS)
def test_changing_the_id_type_needs_the_new_documents_number(client, api, staff, book, door):
    zhang = book["zhang"]
    before = stored(zhang)
    assert refused_on(edit(client, api, staff["am1"], zhang, door, id_type="passport"), door, "id_number")
    assert stored(zhang) == before


def test_a_recorded_id_number_is_not_erased_through_the_api(api, staff, book):
    # The page never shows the number, so its blank means "keep"; the API's blank is refused, not obeyed.
    zhang = book["zhang"]
    before = stored(zhang)
    response = api(staff["am1"]).patch(f"/api/clients/{zhang.pk}/", {"id_number": ""}, format="json")
    assert response.status_code == 400 and "id_number" in response.json()
    assert stored(zhang) == before


# ---------------------------------------------------------------- an account manager's new clients

@pytest.mark.parametrize("door", DOORS)
def test_account_manager_opens_clients_only_in_their_own_branch(client, api, staff, branches, door):
    response = create(client, api, staff["am1"], door, **new_client(branches[1]))
    assert refused_on(response, door, "branch")
    assert not Client.objects.filter(account_id="8009000001").exists()


@pytest.mark.parametrize("door", DOORS)
def test_account_manager_opens_clients_only_in_their_own_book(client, api, staff, branches, door):
    response = create(client, api, staff["am1"], door, **new_client(branches[0], account_manager=staff["am2"]))
    assert refused_on(response, door, "account_manager")
    assert not Client.objects.filter(account_id="8009000001").exists()


def test_an_account_managers_new_client_is_theirs_without_naming_themselves(api, staff, branches):
    response = api(staff["am1"]).post("/api/clients/", {**new_client(branches[0]), "branch": "SH01"},
                                      format="json")
    assert response.status_code == 201, response.content
    assert Client.objects.get(account_id="8009000001").account_manager == staff["am1"]


@pytest.mark.parametrize("field,value", [("risk_level", "C5"), ("is_key", True), ("status", "dormant")])
def test_account_manager_cannot_open_a_client_with_what_others_decide(api, staff, branches, field, value):
    response = api(staff["am1"]).post("/api/clients/", {**new_client(branches[0]), "branch": "SH01",
                                                        field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Client.objects.filter(account_id="8009000001").exists()


def test_head_office_cannot_give_a_new_client_a_manager_of_another_branch(api, staff, branches, bj_manager):
    response = api(staff["head"]).post("/api/clients/", {**new_client(branches[0]), "branch": "SH01",
                                                         "account_manager": "AM009"}, format="json")
    assert response.status_code == 400 and "account_manager" in response.json()


def test_a_full_put_with_unchanged_values_is_accepted(api, staff, book):
    zhang = book["zhang"]
    rest = api(staff["am1"])
    body = rest.get(f"/api/clients/{zhang.pk}/").json()
    writable = {k: v for k, v in body.items() if k not in {
        "id", "profile_complete", "id_number_masked", "segments", "churn", "lifetime_value", "loyalty",
        "key_proposed_at"}}
    response = rest.put(f"/api/clients/{zhang.pk}/", {**writable, "city": "杭州"}, format="json")
    assert response.status_code == 200, response.content
    zhang.refresh_from_db()
    assert zhang.city == "杭州" and zhang.account_manager == staff["am1"]


# ---------------------------------------------------------------- key clients: proposed, then decided

@pytest.mark.parametrize("door", DOORS)
def test_account_manager_proposes_a_key_client_and_the_branch_manager_confirms(client, api, staff, book, door):
    zhang = book["zhang"]

    def decide(user, decision, note=""):
        if door == "api":
            return api(user).post(f"/api/clients/{zhang.pk}/key-client/", {"decision": decision, "note": note},
                                  format="json")
        client.force_login(user)
        return client.post(f"/clients/{zhang.pk}/key-client/", {"decision": decision, "note": note})

    assert decide(staff["am1"], "propose", "年交易额大").status_code in (200, 302)
    zhang.refresh_from_db()
    assert not zhang.is_key and zhang.key_proposed_by == staff["am1"] and zhang.key_proposal_note == "年交易额大"
    # The proposer cannot decide their own proposal.
    assert decide(staff["am1"], "confirm").status_code == 403
    zhang.refresh_from_db()
    assert not zhang.is_key
    client.force_login(staff["bm_sh"])
    page = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "年交易额大" in page and 'value="confirm"' in page
    assert decide(staff["bm_sh"], "confirm").status_code in (200, 302)
    zhang.refresh_from_db()
    assert zhang.is_key and zhang.key_proposed_at is None
    assert AuditEntry.objects.filter(client=zhang, action="client.key_propose").exists()
    assert AuditEntry.objects.get(client=zhang, action="client.key_decide").after == {"confirmed": True}


def test_the_branch_manager_finds_the_waiting_proposals_on_the_list_and_the_api(client, api, staff, book):
    api(staff["am1"]).post(f"/api/clients/{book['zhao'].pk}/key-client/", {"decision": "propose"}, format="json")
    rows = api(staff["bm_sh"]).get("/api/clients/", {"key_proposed": "true"}).json()["results"]
    assert [r["account_id"] for r in rows] == [book["zhao"].account_id] and rows[0]["key_proposed_at"]
    client.force_login(staff["bm_sh"])
    listed = [c.account_id for c in client.get("/clients/", {"key_proposed": "true"}).context["page_obj"]]
    assert listed == [book["zhao"].account_id]


def test_a_declined_proposal_leaves_the_client_as_it_was(api, staff, book):
    zhang = book["zhang"]
    api(staff["am1"]).post(f"/api/clients/{zhang.pk}/key-client/", {"decision": "propose"}, format="json")
    response = api(staff["bm_sh"]).post(f"/api/clients/{zhang.pk}/key-client/", {"decision": "decline"},
                                        format="json")
    assert response.status_code == 200 and response.json()["is_key"] is False
    zhang.refresh_from_db()
    assert not zhang.is_key and zhang.key_proposed_at is None
    # Nothing waits now: deciding again is refused by name.
    again = api(staff["bm_sh"]).post(f"/api/clients/{zhang.pk}/key-client/", {"decision": "confirm"},
                                     format="json")
    assert again.status_code == 400 and "is_key" in again.json()


# ---------------------------------------------------------------- the other client writes

def test_a_contact_cannot_be_logged_in_the_future_through_the_api_either(api, staff, book):
    zhang = book["zhang"]
    future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()
    response = api(staff["am1"]).post(f"/api/clients/{zhang.pk}/contacts/", {
        "channel": "phone", "summary": "x", "contacted_at": future}, format="json")
    assert response.status_code == 400 and "contacted_at" in response.json()
    assert not zhang.contact_logs.exists()


def test_suitability_score_rule_is_the_services(client, staff, book):
    zhang = book["zhang"]
    client.force_login(staff["am1"])
    today = datetime.date.today()
    response = client.post(f"/clients/{zhang.pk}/suitability/", {
        "investor_class": "ordinary", "risk_level": "C3", "knowledge_score": 120, "assessed_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=700)).isoformat()})
    assert response.status_code == 200 and "knowledge_score" in response.context["suitability_form"].errors
    assert not zhang.suitability_assessments.exists()


def test_a_services_unnamed_refusal_reaches_the_api_as_non_field_errors():
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    from futures_crm.api.exceptions import exception_handler

    response = exception_handler(ValidationError({NON_FIELD_ERRORS: ["x"], "birthday": ["y"]}), {})
    assert response.status_code == 400 and response.data == {"non_field_errors": ["x"], "birthday": ["y"]}
