"""The trading-history page, its chart and its XLSX export, in Chinese and English, scoped like the client."""

import io
from decimal import Decimal

import openpyxl
import pytest

from clients.settlement_history import HistoryQuery, history_totals, settlement_history

from .history_data import DAYS, build_history

pytestmark = pytest.mark.django_db

RANGE = {"group": "month", "from": "2024-12-01", "to": "2025-06-30"}


@pytest.fixture
def zhang(book):
    build_history(book["zhang"], other=book["li"])
    return book["zhang"]


def _get(client, user, url, params=None, lang="zh-hans"):
    client.force_login(user)
    return client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=lang)


def test_page_in_chinese_shows_the_table_chart_and_totals(client, staff, zhang):
    response = _get(client, staff["am1"], f"/clients/{zhang.pk}/history/", RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    for word in ("交易历史", "成交手数", "成交额", "手续费", "交易所手续费", "平仓盈亏", "持仓盈亏", "入金", "出金",
                 "期末权益", "保证金占用", "按月", "合计"):
        assert word in html, word
    assert "2025-03" in html and "2025-04" in html and "<svg" in html and "<polyline" in html
    rows = settlement_history(zhang, HistoryQuery(group="month", start=DAYS[0], end=DAYS[-1]))
    total = history_totals(rows)["commission"]
    assert f"{total:.2f}" in html.replace(",", "")  # the footer's commission, to the cent (grouping per locale)
    assert 'style="' not in html and "<script>" not in html
    products = html[html.index('id="history-products"'):]
    assert "按品种" in products and "product=rb" in products and "IF" in products


def test_page_in_english(client, staff, zhang):
    html = _get(client, staff["am1"], f"/clients/{zhang.pk}/history/", {**RANGE, "group": "quarter"},
                lang="en").content.decode()
    for word in ("Trading history", "Lots traded", "Close P&amp;L", "Ending equity", "2025 Q1", "2025 Q2"):
        assert word in html, word


def test_the_client_page_links_to_the_history(client, staff, zhang):
    html = _get(client, staff["am1"], f"/clients/{zhang.pk}/").content.decode()
    assert f"/clients/{zhang.pk}/history/" in html


def test_a_bad_parameter_is_shown_not_a_500(client, staff, zhang):
    response = _get(client, staff["am1"], f"/clients/{zhang.pk}/history/", {"group": "month", "from": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="history-errors"' in html and "YYYY-MM-DD" in html and "<svg" not in html


def test_product_filter_leaves_account_columns_empty(client, staff, zhang):
    html = _get(client, staff["am1"], f"/clients/{zhang.pk}/history/", {**RANGE, "product": "IF"}).content.decode()
    assert "<svg" in html and "<polyline" not in html  # no equity line for one product
    assert "—" in html


@pytest.mark.parametrize("who,key,status", [("am1", "zhang", 200), ("am2", "zhang", 404), ("bm_bj", "zhang", 404),
                                            ("bm_sh", "li", 200)])
def test_page_and_export_are_scoped_like_the_client(client, staff, book, zhang, who, key, status):
    url = f"/clients/{book[key].pk}/history/"
    assert _get(client, staff[who], url).status_code == status
    assert _get(client, staff[who], url, {"export": "xlsx"}).status_code == status


def test_the_back_office_has_no_pages(client, staff, zhang):
    assert _get(client, staff["backoffice"], f"/clients/{zhang.pk}/history/").status_code == 403


def test_xlsx_holds_the_same_rows_as_numbers_and_text_is_formula_safe(client, staff, zhang):
    zhang.name = "=HYPERLINK(\"http://x\")"
    zhang.save(update_fields=["name"])
    response = _get(client, staff["am1"], f"/clients/{zhang.pk}/history/", {**RANGE, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["B1"].value == zhang.name and sheet["B1"].data_type == "s"
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["期间", "交易日数", "成交手数", "成交额"]
    rows = settlement_history(zhang, HistoryQuery(group="month", start=DAYS[0], end=DAYS[-1]))
    body = list(sheet.iter_rows(min_row=5, values_only=True))
    assert [r[0] for r in body] == ["2024-12", "2025-01", "2025-03", "2025-04", "2025-05", "2025-06", "合计"]
    commission = header.index("手续费")
    for line, row in zip(body, rows, strict=False):
        assert isinstance(line[commission], (int, float)) and Decimal(str(line[commission])) == row["commission"]
        assert line[2] == row["lots"]
    assert Decimal(str(body[-1][commission])) == history_totals(rows)["commission"]
    by_product = openpyxl.load_workbook(io.BytesIO(response.content))["按品种"]
    assert sorted(r[1] for r in by_product.iter_rows(min_row=2, values_only=True)) == ["IF", "rb"]
