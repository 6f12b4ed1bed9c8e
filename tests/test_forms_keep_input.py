"""Forms keep what was typed and say what is wrong, in the user's language: bad numbers, bad dates, and input
too large for the server to read (a page that says so, a 413, instead of a bare 400)."""

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client as Browser

from referrals.models import Intermediary
from service.models import DeadlinePolicy, Ticket

from .factories import PASSWORD


def browser(user, language="en") -> Browser:
    b = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert b.login(username=user.username, password=PASSWORD)
    return b


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("language, said", [("en", "Enter a whole number."), ("zh-hans", "输入整数。")])
def test_a_ticket_deadline_of_abc_says_so_and_keeps_the_table_as_typed(staff, language, said):
    r = browser(staff["compliance"], language).post("/service/tickets/deadlines/", {
        "complaint-high-amount": "abc", "complaint-high-unit": "trading_hours",
        "complaint-low-amount": "7", "complaint-low-unit": "trading_days"})
    html = r.content.decode()
    assert r.status_code == 200 and said in html and "invalid literal" not in html
    assert 'value="abc"' in html and 'name="complaint-low-amount" value="7"' in html
    assert not DeadlinePolicy.objects.filter(priority="low", amount=7).exists()  # all or nothing


def test_a_deadline_too_long_for_the_calendar_is_refused(staff):
    r = browser(staff["compliance"]).post("/service/tickets/deadlines/", {
        "complaint-high-amount": "2000000000", "complaint-high-unit": "trading_days"})
    assert r.status_code == 200 and "less than or equal to 999" in r.content.decode()
    assert not DeadlinePolicy.objects.filter(priority="high", amount=2000000000).exists()


# ---------------------------------------------------------------- dates


def test_a_departure_with_a_bad_date_keeps_the_reason_and_the_transfers(staff, book):
    from referrals import services

    intermediary = services.intermediary_save(by=staff["admin"], code="IB9", name="居间人乙", kind="person")
    services.intermediary_link(client=book["zhang"], intermediary=intermediary, by=staff["admin"],
                               valid_from="2025-01-02")
    url = f"/relationships/intermediaries/{intermediary.pk}/leave/"
    for language, said in [("en", "Enter a valid date."), ("zh-hans", "请输入有效日期。")]:
        r = browser(staff["compliance"], language).post(url, {
            "left_on": "2025-02-30", "reason": "合同到期不再续签",
            f"to_{book['zhang'].account_id}": f"manager:{staff['am2'].staff_profile.employee_code}"})
        html = r.content.decode()
        assert r.status_code == 200 and said in html
        assert "合同到期不再续签" in html and 'value="2025-02-30"' in html
        assert f'value="manager:{staff["am2"].staff_profile.employee_code}" selected' in html
    intermediary.refresh_from_db()
    assert intermediary.status != "left"
    r = browser(staff["compliance"]).post(url, {"left_on": "2025-03-31", "reason": "合同到期",
                                          f"to_{book['zhang'].account_id}":
                                              f"manager:{staff['am2'].staff_profile.employee_code}"})
    assert r.status_code == 302 and Intermediary.objects.get(pk=intermediary.pk).status == "left"


@pytest.mark.parametrize("language, said", [("en", "Enter a valid date."), ("zh-hans", "请输入有效日期。")])
def test_running_the_care_plans_for_a_bad_date_says_so(staff, language, said):
    r = browser(staff["admin"], language).post("/service/care/", {"on": "31/12/2025"})
    html = r.content.decode()
    assert r.status_code == 200 and said in html and 'value="31/12/2025"' in html


# ---------------------------------------------------------------- too large


@pytest.mark.parametrize("language, said", [
    ("en", "What you sent is too large to be read (5.0\xa0MB; a form takes at most 2.5\xa0MB). Nothing was saved."),
    ("zh-hans", "您提交的内容过大，无法读取"),
])
def test_a_five_megabyte_paste_is_a_413_page_that_says_so(staff, book, language, said, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # DATA_UPLOAD_MAX_MB as a deployment may set it lower
    form = urlencode({"ticket_type": "complaint", "channel": "phone", "subject": "长文",
                      "description": "x" * (5 * 1024 * 1024 - 80)})  # as a browser posts a form
    r = browser(staff["agent"], language).post(f"/service/tickets/new/?client={book['zhang'].pk}", form,
                                               content_type="application/x-www-form-urlencoded")
    html = r.content.decode()
    assert r.status_code == 413 and said in html and 'id="too-large"' in html
    assert not Ticket.objects.exists()


def test_a_five_megabyte_api_request_is_answered_not_a_server_error(staff, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    # JSON is read whole by the API: the field's own limit answers.
    r = api(staff["agent"]).post("/api/tickets/", {"subject": "x" * (5 * 1024 * 1024)}, format="json")
    assert r.status_code == 400 and "255" in r.json()["subject"][0]
    # A multipart form is read by Django, whose limit is DATA_UPLOAD_MAX_MEMORY_SIZE: a 413 that says so.
    r = api(staff["agent"]).post("/api/tickets/", {"subject": "x" * (3 * 1024 * 1024)}, format="multipart")
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_every_page_tells_the_browser_how_much_a_form_may_carry(staff):
    html = browser(staff["am1"]).get("/clients/").content.decode()
    assert f'data-max-form-bytes="{settings.DATA_UPLOAD_MAX_MEMORY_SIZE}"' in html and "data-too-large=" in html
