"""Formats by locale, one way everywhere: ISO dates, Shanghai date-times, grouped amounts with two decimals,
percentages with one, in English and Chinese; forms still read the dates they read before; exports and the
API keep plain decimals; staff are named "姓名 (工号)", never by login name."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client as Browser
from django.utils import translation

from clients.models import AccountSettlement, ContactLog, SettlementAlert
from futures_crm.templatetags.display import as_of, day, money, pct, share
from service import services as service_services
from service.forms import TaskForm
from tests.service.conftest import at

DAY = datetime.date(2026, 11, 27)  # a Friday


def _page(user, lang: str, url: str) -> str:
    browser = Browser()
    browser.force_login(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = browser.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _settle(client, day, equity, margin="0"):
    zero = Decimal(0)
    return AccountSettlement.objects.create(
        trade_date=day, client=client, pre_balance=Decimal(equity), deposit=zero, withdrawal=zero,
        close_profit=zero, position_profit=zero, commission=Decimal("1234.5"), exchange_fee=zero,
        balance=Decimal(equity), equity=Decimal(equity), margin=Decimal(margin), available=Decimal(equity),
        margin_call=zero)


@pytest.mark.parametrize("lang, weekday, as_of_text", [
    ("en", "Fri", "as of 2026-11-27 (trading day)"),
    ("zh-hans", "周五", "截至 2026-11-27（交易日）"),
])
def test_the_filters_read_the_same_in_both_languages_but_for_words(lang, weekday, as_of_text):
    with translation.override(lang):
        assert money(Decimal("28452.9")) == "28,452.90"
        assert money(Decimal("-1234567.005")) == "-1,234,567.01"  # half-up, as on the statements
        assert money(Decimal("-0.004")) == "0.00" and money(None) == "—" and money("") == "—"
        assert money("12") == "12.00" and money(0.1 + 0.2) == "0.30"
        assert pct(Decimal("37.46")) == "37.5%" and share(Decimal("0.4")) == "40.0%" and pct(None) == "—"
        assert day(DAY) == f"2026-11-27 {weekday}"
        assert day(at(2026, 11, 27, 14, 5)) == f"2026-11-27 {weekday} 14:05"
        assert day(datetime.datetime(2026, 11, 27, 6, 5, tzinfo=datetime.UTC)) == f"2026-11-27 {weekday} 14:05"
        assert as_of(DAY) == as_of_text and as_of(None) == ""


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_client_page_shows_iso_dates_shanghai_times_grouped_amounts_and_percentages(staff, book, lang):
    zhang = book["zhang"]
    _settle(zhang, DAY, "1234567.89", margin="152345.67")
    ContactLog.objects.create(client=zhang, contacted_at=datetime.datetime(2026, 11, 27, 6, 5, tzinfo=datetime.UTC),
                              channel="phone", summary="回访", by=staff["am1"])
    html = _page(staff["am1"], lang, f"/clients/{zhang.pk}/")
    assert "<td>2026-11-27</td>" in html  # the trading day
    assert "<td>2026-11-27 14:05</td>" in html  # 06:05 UTC is 14:05 in Shanghai
    assert '<td class="num">1,234,567.89</td>' in html and '<td class="num">152,345.67</td>' in html
    assert '<td class="num">1,234.50</td>' in html  # the commission
    assert '<td class="num">12.3%</td>' in html  # risk degree 152,345.67 / 1,234,567.89
    assert "王经理 (AM001)" in html  # who logged the contact
    assert "Nov." not in html and "2026年" not in html and "1234567.89" not in html


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_date_input_shows_iso_and_the_form_accepts_iso_and_what_it_accepted_before(lang):
    before = {"en": "11/27/2026", "zh-hans": "2026/11/27"}[lang]
    with translation.override(lang):
        assert 'value="2026-11-27"' in str(TaskForm(initial={"due_on": DAY})["due_on"])  # <input type="date">
        for typed in ("2026-11-27", before):
            form = TaskForm({"kind": "call_back", "due_on": typed})
            assert form.is_valid(), (typed, form.errors)
            assert form.cleaned_data["due_on"] == DAY


def test_workload_page_groups_the_equity_and_its_csv_keeps_the_plain_decimal(staff, book):
    _settle(book["zhang"], DAY, "1234567.89")
    for lang in ("en", "zh-hans"):
        html = _page(staff["head"], lang, "/relationships/workload/")
        assert '<td class="num">1,234,567.89</td>' in html
    browser = Browser()
    browser.force_login(staff["head"])
    body = b"".join(browser.get("/relationships/workload/?export=csv").streaming_content).decode()
    assert "1234567.89" in body and "1,234,567.89" not in body


def test_the_api_keeps_plain_decimals(staff, book, api):
    SettlementAlert.objects.create(client=book["zhang"], trade_date=DAY, kind="margin_call",
                                   amount=Decimal("12345.60"))
    rows = api(staff["admin"]).get("/api/alerts/").json()["results"]
    assert [r["amount"] for r in rows] == ["12345.60"]


def test_staff_show_by_name_and_code_in_columns_and_drop_downs_not_by_login_name(staff, book):
    am1 = staff["am1"]  # username am1, 王经理 (AM001)
    service_services.task_upsert(client=book["zhang"], kind="call_back", due_on=DAY, owner=am1, title="回电")
    tasks = _page(staff["admin"], "zh-hans", "/service/tasks/?status=open")
    assert "<td>王经理 (AM001)</td>" in tasks and ">am1<" not in tasks
    assert f'<option value="{am1.pk}">王经理 (AM001)</option>' in tasks  # the owner filter
    assert "2026-11-27 周五" in tasks  # the due date with its weekday
    ticket = service_services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint",
                                          channel="phone", subject="手续费", owner=am1)
    detail = _page(staff["admin"], "zh-hans", f"/service/tickets/{ticket.pk}/")
    assert re.search(f'<option value="{am1.pk}"( selected)?>王经理 \\(AM001\\)</option>', detail)  # reassign
    assert "<dd>王经理 (AM001)</dd>" in detail and ">am1<" not in detail
    SettlementAlert.objects.create(client=book["zhang"], trade_date=DAY, kind="margin_call",
                                   amount=Decimal("12345.6"))
    alerts = _page(staff["admin"], "en", "/clients/alerts/")
    assert "<td>王经理 (AM001)</td>" in alerts and '<td class="num">12,345.60</td>' in alerts
