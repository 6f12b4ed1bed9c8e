"""XLSX exports: the same rows, scope and filters as the page and its CSV; typed cells (exact Decimals, real
dates), no cell that runs as a formula, translated headers, the whole list however long."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.test import Client as Browser

from clients.models import Client
from referrals.models import Intermediary
from tests.factories import ClientFactory
from tests.test_formats import DAY, _settle

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get(user, url, lang="en"):
    browser = Browser()
    browser.force_login(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = browser.get(url)
    assert response.status_code == 200, url
    return response


def _sheet(response):
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_an_account_managers_client_xlsx_has_their_filtered_clients_only(staff, book):
    response = _get(staff["am1"], "/clients/?export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="clients.xlsx"'
    sheet = _sheet(response)
    assert sheet.title == "clients"
    header, *rows = _rows(sheet)
    assert header[:2] == ["Fund account", "Name"] and sheet.cell(1, 1).font.b
    assert sorted(r[0] for r in rows) == sorted([book["zhang"].account_id, book["zhao"].account_id])
    # The filters apply: only the one client the search finds, never a colleague's.
    header, *rows = _rows(_sheet(_get(staff["am1"], f"/clients/?q={book['zhang'].name}&export=xlsx")))
    assert [r[0] for r in rows] == [book["zhang"].account_id]
    assert _rows(_sheet(_get(staff["am1"], f"/clients/?q={book['li'].name}&export=xlsx")))[1:] == []


def test_dates_are_date_cells_and_formula_text_stays_text(staff, book):
    zhang = book["zhang"]
    Client.objects.filter(pk=zhang.pk).update(name='=HYPERLINK("https://evil.example/","报表")')
    sheet = _sheet(_get(staff["am1"], f"/clients/?account_id={zhang.account_id}&export=xlsx"))
    header, row = _rows(sheet)
    name = sheet.cell(2, header.index("Name") + 1)
    assert name.data_type == "s" and name.value == '\'=HYPERLINK("https://evil.example/","报表")'
    opened = sheet.cell(2, header.index("Open date") + 1)
    assert opened.is_date and opened.value.date() == zhang.open_date and opened.number_format == "yyyy-mm-dd"
    for text in ("+1 call", "-x", "@sum"):
        Client.objects.filter(pk=zhang.pk).update(name=text)
        cells = _rows(_sheet(_get(staff["am1"], f"/clients/?account_id={zhang.account_id}&export=xlsx")))[1]
        assert cells[header.index("Name")] == "'" + text


def test_money_cells_are_numbers_exact_to_the_cent(staff, book):
    _settle(book["zhang"], DAY, "1234567.89")
    response = _get(staff["head"], "/relationships/workload/?export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="workload.xlsx"'
    sheet = _sheet(response)
    header = _rows(sheet)[0]
    column = header.index("Equity") + 1
    cells = [sheet.cell(r, column) for r in range(2, sheet.max_row + 1)]
    equity = [c for c in cells if c.value]
    assert [Decimal(str(c.value)) for c in equity] == [Decimal("1234567.89")]
    assert equity[0].data_type == "n" and equity[0].number_format == "#,##0.00"


def test_a_rate_keeps_its_places_and_a_count_is_an_integer(staff):
    Intermediary.objects.create(code="IB001", name="-周居间", rebate_rate=Decimal("0.4567"))
    sheet = _sheet(_get(staff["admin"], "/relationships/intermediaries/?export=xlsx"))
    header, row = _rows(sheet)
    assert row[header.index("Rebate rate")] == pytest.approx(0.4567)
    assert sheet.cell(2, header.index("Rebate rate") + 1).number_format == "#,##0.0000"
    assert row[header.index("Clients")] == 0 and row[header.index("Name")] == "'-周居间"


def test_chinese_headers_in_chinese(staff, book):
    header = _rows(_sheet(_get(staff["am1"], "/clients/?export=xlsx", lang="zh-hans")))[0]
    assert header[:2] == ["资金账号", "姓名"]


def test_the_list_page_offers_csv_and_xlsx_of_the_same_filters(staff, book):
    html = _get(staff["am1"], "/clients/?status=active&page=1").content.decode()
    assert 'href="?status=active&amp;export=csv"' in html and 'href="?status=active&amp;export=xlsx"' in html


def test_a_few_thousand_rows_all_go_out(staff, branches):
    sh, _bj = branches
    clients = ClientFactory.build_batch(3000, branch=sh, account_manager=staff["am1"])
    Client.objects.bulk_create(clients)
    rows = _rows(_sheet(_get(staff["am1"], "/clients/?export=xlsx")))
    assert len(rows) == 3001 and {r[0] for r in rows[1:]} == {c.account_id for c in clients}


def test_ticket_deadline_is_a_shanghai_date_time(staff, book):
    from service.models import Ticket

    deadline = datetime.datetime(2026, 11, 27, 6, 5, tzinfo=datetime.UTC)
    Ticket.objects.create(client=book["zhang"], ticket_type="complaint", channel="phone", subject="出金",
                          deadline=deadline, owner=staff["agent"])
    header, *rows = _rows(_sheet(_get(staff["admin"], "/service/tickets/?export=xlsx")))
    assert [r[header.index("Deadline")] for r in rows] == [datetime.datetime(2026, 11, 27, 14, 5)]
