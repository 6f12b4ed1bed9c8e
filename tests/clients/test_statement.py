"""The statement (结算单): a day's and a month's figures against the stored rows, the page in both languages."""

import datetime

import pytest

from clients.statement import client_statement

from .history_data import build_history

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 3, 31)
MARCH = (datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))


@pytest.fixture
def rows(book):
    return build_history(book["zhang"], other=book["li"])


def test_a_days_statement_is_that_days_account_row_and_contracts(book, rows):
    accounts, contracts = rows
    st = client_statement(book["zhang"], DAY, DAY, False)
    a = next(a for a in accounts if a.trade_date == DAY)
    s = st.summary
    assert (s["pre_balance"], s["deposit"], s["withdrawal"], s["close_profit"], s["position_profit"]) == (
        a.pre_balance, a.deposit, a.withdrawal, a.close_profit, a.position_profit)
    assert (s["commission"], s["exchange_fee"], s["net_commission"]) == (a.commission, a.exchange_fee,
                                                                         a.commission - a.exchange_fee)
    assert (s["balance"], s["equity"], s["margin"], s["available"]) == (a.balance, a.equity, a.margin, a.available)
    assert s["risk_degree"] == a.margin * 100 / a.equity
    assert s["pre_equity"] == next(a.equity for a in accounts if a.trade_date == datetime.date(2025, 3, 28))
    mine = [c for c in contracts if c.trade_date == DAY]
    assert [t["instrument"] for t in st.trades] == sorted(c.instrument for c in mine if c.buy_lots or c.sell_lots)
    assert st.trade_totals["commission"] == sum(c.commission for c in mine if c.buy_lots or c.sell_lots)
    assert {p["instrument"]: p["long_position"] for p in st.positions} == {
        c.instrument: c.long_position for c in mine if c.long_position or c.short_position}


def test_a_months_statement_sums_the_month_and_holds_the_last_days_balances(book, rows):
    accounts, contracts = rows
    st = client_statement(book["zhang"], *MARCH, True)
    march = [a for a in accounts if MARCH[0] <= a.trade_date <= MARCH[1]]
    s = st.summary
    assert s["trading_days"] == 2 and s["first_day"] == datetime.date(2025, 3, 28)
    assert s["pre_balance"] == march[0].pre_balance and s["equity"] == march[-1].equity
    assert s["pre_equity"] == next(a.equity for a in accounts if a.trade_date == datetime.date(2025, 1, 3))
    for name in ("deposit", "withdrawal", "close_profit", "position_profit", "commission", "exchange_fee"):
        assert s[name] == sum(getattr(a, name) for a in march), name
    traded = [c for c in contracts if MARCH[0] <= c.trade_date <= MARCH[1]]
    assert st.trade_totals["turnover"] == sum(c.turnover for c in traded)
    assert st.trade_totals["buy_lots"] == sum(c.buy_lots for c in traded)
    assert {p["instrument"] for p in st.positions} == {c.instrument for c in traded if c.trade_date == MARCH[1]
                                                       and (c.long_position or c.short_position)}


def test_a_day_without_settlement_has_no_summary(book, rows):
    saturday = datetime.date(2025, 3, 29)
    assert client_statement(book["zhang"], saturday, saturday, False).summary is None


def test_statement_page_in_chinese(client, staff, book, rows):
    client.force_login(staff["am1"])
    html = client.get(f"/clients/{book['zhang'].pk}/statement/", {"day": "2025-03-31"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for word in ("日结算单", "资金状况", "上日权益", "上日结存", "入金", "出金", "平仓盈亏", "持仓盈亏", "手续费",
                 "客户权益", "保证金占用", "可用资金", "风险度", "成交汇总", "收盘持仓", book["zhang"].account_id,
                 "rb2505"):
        assert word in html, word
    assert 'style="' not in html


def test_monthly_statement_page_in_english_and_a_bad_month(client, staff, book, rows):
    client.force_login(staff["am1"])
    url = f"/clients/{book['zhang'].pk}/statement/"
    html = client.get(url, {"month": "2025-03"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Monthly statement" in html and "2025-03" in html and "Account summary" in html
    assert "Opening equity" in html and "Closing balance" in html
    bad = client.get(url, {"month": "2025-13"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    assert "No settlement" in client.get(url, {"day": "2025-03-29"}).content.decode()
    for edge in ({"month": "9999-12"}, {"month": "0001-01"}, {"day": "9999-12-31"}, {"day": "00010101"}):
        assert client.get(url, edge).status_code == 200, edge


@pytest.mark.parametrize("who,key,status", [("am1", "zhang", 200), ("am2", "zhang", 404), ("bm_sh", "li", 200),
                                            ("bm_bj", "li", 404)])
def test_statement_is_scoped_like_the_client(client, staff, book, rows, who, key, status):
    client.force_login(staff[who])
    assert client.get(f"/clients/{book[key].pk}/statement/").status_code == status


def _pdf_text(data: bytes) -> bytes:
    """The PDF's content streams, decoded (reportlab writes them ASCII85 over Flate)."""
    import base64
    import re
    import zlib

    return b"\n".join(zlib.decompress(base64.a85decode(stream, adobe=False))
                      for stream in re.findall(rb"stream\r?\n(.*?)~>endstream", data, re.S))


@pytest.mark.parametrize("params", [{"day": "2025-03-31"}, {"month": "2025-03"}])
def test_statement_pdf_is_a_pdf_with_the_clients_account_and_figures(client, staff, book, rows, params):
    client.force_login(staff["am1"])
    response = client.get(f"/clients/{book['zhang'].pk}/statement/", {**params, "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert b"(" + book["zhang"].account_id.encode() + b")" in text  # drawn on the page
    equity = client_statement(book["zhang"], DAY, DAY, False).summary["equity"] if "day" in params else None
    if equity is not None:
        assert f"({equity:,.2f})".encode() in text
    assert b"STSong-Light" in response.content  # the Chinese font, no file shipped


def test_statement_pdf_is_scoped_like_the_client(client, staff, book, rows):
    client.force_login(staff["am2"])
    assert client.get(f"/clients/{book['zhang'].pk}/statement/", {"format": "pdf"}).status_code == 404


def _cents(value) -> str | None:
    return None if value is None else f"{value:.2f}"


@pytest.mark.parametrize("params,start,end,monthly", [({"day": "2025-03-31"}, DAY, DAY, False),
                                                      ({"month": "2025-03"}, *MARCH, True)])
def test_statement_api_answers_the_pages_figures_as_decimal_strings(api, staff, book, rows, params, start, end,
                                                                     monthly):
    body = api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/statement/", params).json()
    st = client_statement(book["zhang"], start, end, monthly)
    assert (body["client"], body["account_id"]) == (book["zhang"].pk, book["zhang"].account_id)
    assert (body["monthly"], body["start"], body["end"]) == (monthly, f"{start}", f"{end}")
    s = body["summary"]
    for name in ("pre_equity", "pre_balance", "deposit", "withdrawal", "close_profit", "position_profit",
                 "commission", "exchange_fee", "net_commission", "balance", "equity", "margin", "available",
                 "margin_call"):
        assert s[name] == _cents(st.summary[name]), name
    assert s["risk_degree"] == f"{st.summary['risk_degree']:.2f}"  # as the page rounds it
    assert (s["trading_days"], s["first_day"], s["last_day"]) == (
        st.summary["trading_days"], f"{st.summary['first_day']}", f"{st.summary['last_day']}")
    assert [t["instrument"] for t in body["trades"]] == [t["instrument"] for t in st.trades]
    for got, want in zip(body["trades"], st.trades, strict=True):
        assert (got["buy_lots"], got["sell_lots"]) == (want["buy_lots"], want["sell_lots"])
        for name in ("turnover", "commission", "exchange_fee", "close_profit"):
            assert got[name] == _cents(want[name]), name
    for name in ("turnover", "commission", "exchange_fee", "close_profit"):
        assert body["trade_totals"][name] == _cents(st.trade_totals[name]), name
    assert body["trade_totals"]["buy_lots"] == st.trade_totals["buy_lots"]
    assert [(p["instrument"], p["long_position"], p["short_position"], p["margin"]) for p in body["positions"]] == [
        (p["instrument"], p["long_position"], p["short_position"], _cents(p["margin"])) for p in st.positions]
    assert body["positions"]  # the constructed data holds positions at the close


def test_statement_api_of_a_day_without_settlement_is_empty(api, staff, book, rows):
    body = api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/statement/", {"day": "2025-03-29"}).json()
    assert body["summary"] is None and body["trade_totals"] is None and body["trades"] == body["positions"] == []


@pytest.mark.parametrize("params,name", [({}, "day"), ({"day": ""}, "day"), ({"day": "2025-02-30"}, "day"),
                                         ({"day": "yesterday"}, "day"), ({"month": "2025-13"}, "month"),
                                         ({"month": "2025"}, "month"),
                                         ({"day": "2025-03-31", "month": "2025-03"}, "month")])
def test_statement_api_bad_or_missing_parameters_are_400_naming_them(api, staff, book, rows, params, name):
    response = api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/statement/", params)
    assert response.status_code == 400 and list(response.json()) == [name], response.content


@pytest.mark.parametrize("params", [{"month": "9999-12"}, {"month": "0001-01"}, {"day": "9999-12-31"},
                                    {"day": "0001-01-01"}])
def test_statement_api_edge_dates_are_answered(api, staff, book, rows, params):
    assert api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/statement/", params).status_code == 200
