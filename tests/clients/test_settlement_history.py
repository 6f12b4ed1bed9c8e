"""The trading history (账单): sums to the cent against the stored rows, per grouping, product, API and scope."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clients.settlement_history import HistoryQuery, parse_query, period_start, settlement_history
from tests.factories import ClientFactory

from .history_data import DAYS, build_history

pytestmark = pytest.mark.django_db

FIRST, LAST = DAYS[0], DAYS[-1]


def expected_account(accounts, contracts, group):
    """The figures each period must show, summed here in Python from the rows themselves."""
    out = defaultdict(lambda: defaultdict(Decimal))
    for a in sorted(accounts, key=lambda a: a.trade_date):
        row = out[period_start(group, a.trade_date)]
        row["trading_days"] += 1
        for name, field in (("commission", "commission"), ("exchange_fee", "exchange_fee"),
                            ("close_profit", "close_profit"), ("position_profit", "position_profit"),
                            ("deposits", "deposit"), ("withdrawals", "withdrawal")):
            row[name] += getattr(a, field)
        row["net_commission"] = row["commission"] - row["exchange_fee"]
        row["end_equity"], row["margin"] = a.equity, a.margin  # the last day wins (rows in date order)
        row["peak_margin"] = max(row["peak_margin"], a.margin)
        if a.equity > 0:
            row["peak_risk_degree"] = max(row["peak_risk_degree"], (a.margin * 100 / a.equity).quantize(
                Decimal("0.01")))
    for c in contracts:
        row = out[period_start(group, c.trade_date)]
        row["lots"] += c.buy_lots + c.sell_lots
        row["turnover"] += c.turnover
    return {period: dict(row) for period, row in out.items()}


@pytest.fixture
def history(book):
    """张三 (am1's) with ten days of rows; 李四 (am2's) with rows on the same days."""
    accounts, contracts = build_history(book["zhang"], other=book["li"])
    return book["zhang"], accounts, contracts


@pytest.mark.parametrize("group", ["day", "month", "quarter", "year"])
def test_each_grouping_sums_to_the_cent(history, group):
    client, accounts, contracts = history
    rows = settlement_history(client, HistoryQuery(group=group, start=FIRST, end=LAST))
    expected = expected_account(accounts, contracts, group)
    assert [r["period"] for r in rows] == sorted(expected)
    for row in rows:
        want = expected[row["period"]]
        for name, value in want.items():
            assert row[name] == value, (group, row["period"], name)
        assert all(isinstance(row[n], Decimal) for n in ("turnover", "commission", "end_equity", "margin"))


def test_month_quarter_and_year_boundaries_split_where_the_calendar_does(history):
    client = history[0]
    periods = {g: [r["period"] for r in settlement_history(client, HistoryQuery(group=g, start=FIRST, end=LAST))]
               for g in ("month", "quarter", "year")}
    d = datetime.date
    assert periods["month"] == [d(2024, 12, 1), d(2025, 1, 1), d(2025, 3, 1), d(2025, 4, 1), d(2025, 5, 1),
                                d(2025, 6, 1)]
    assert periods["quarter"] == [d(2024, 10, 1), d(2025, 1, 1), d(2025, 4, 1)]
    assert periods["year"] == [d(2024, 1, 1), d(2025, 1, 1)]
    q2 = settlement_history(client, HistoryQuery(group="quarter", start=FIRST, end=LAST))[2]
    assert q2["trading_days"] == 4  # 04-01, 04-02, 05-30, 06-03
    assert q2["end_equity"] == next(a.equity for a in history[1] if a.trade_date == d(2025, 6, 3))


def test_range_is_inclusive_and_other_clients_never_count(history):
    client, accounts, _ = history
    start, end = datetime.date(2025, 3, 31), datetime.date(2025, 4, 1)
    rows = settlement_history(client, HistoryQuery(group="year", start=start, end=end))
    days = [a for a in accounts if start <= a.trade_date <= end]
    assert len(rows) == 1 and rows[0]["trading_days"] == 2
    assert rows[0]["commission"] == sum(a.commission for a in days)
    assert rows[0]["deposits"] == sum(a.deposit for a in days)


def test_negative_equity_is_left_out_of_the_peak_risk_degree(history):
    client, accounts, _ = history
    day = DAYS[6]  # equity below zero that day (穿仓)
    (row,) = settlement_history(client, HistoryQuery(group="day", start=day, end=day))
    assert row["end_equity"] < 0 and row["peak_risk_degree"] is None


@pytest.mark.parametrize("product,exchange", [("rb", ""), ("IF", ""), ("", "CFFEX"), ("if", "CFFEX")])
def test_product_or_exchange_filter_sums_that_products_contract_rows(history, product, exchange):
    client, _, contracts = history
    rows = settlement_history(client, HistoryQuery(group="month", start=FIRST, end=LAST, product=product,
                                                   exchange=exchange))
    mine = [c for c in contracts if (not product or c.product.lower() == product.lower())
            and (not exchange or c.exchange == exchange)]
    by_period = defaultdict(list)
    for c in mine:
        by_period[period_start("month", c.trade_date)].append(c)
    assert [r["period"] for r in rows] == sorted(by_period)
    for row in rows:
        cs = by_period[row["period"]]
        assert row["trading_days"] == len({c.trade_date for c in cs})
        assert row["lots"] == sum(c.buy_lots + c.sell_lots for c in cs)
        for name in ("turnover", "commission", "exchange_fee", "close_profit"):
            assert row[name] == sum(getattr(c, name) for c in cs), name
        assert row["net_commission"] == row["commission"] - row["exchange_fee"]
        last = max(c.trade_date for c in cs)
        assert row["margin"] == sum(c.margin for c in cs if c.trade_date == last)
        # account-wide figures do not belong to one product
        assert row["deposits"] is row["end_equity"] is row["position_profit"] is None


def test_a_client_without_settlement_has_an_empty_history(book):
    assert settlement_history(book["wang"], HistoryQuery(group="day", start=FIRST, end=LAST)) == []


@pytest.mark.parametrize("params,name", [
    ({"group": "week"}, "group"), ({"from": "2025-13-01"}, "from"), ({"to": "yesterday"}, "to"),
    ({"from": "2025-05-01", "to": "2025-04-01"}, "from"), ({"group": "day", "from": "2023-01-01", "to": "2025-01-01"},
                                                           "from"),
    ({"product": "rb; drop"}, "product"), ({"exchange": "LME"}, "exchange"),
])
def test_bad_parameters_name_the_parameter(params, name):
    with pytest.raises(ValidationError) as err:
        parse_query(params)
    assert name in err.value.message_dict


@pytest.mark.parametrize("group", ["day", "month", "quarter", "year"])
def test_defaults_stop_at_the_first_representable_day(group):
    assert parse_query({"group": group, "to": "0001-01-05"}).start == datetime.date(1, 1, 1)


def test_defaults_start_on_a_periods_first_day():
    end = datetime.date(2025, 6, 3)
    assert parse_query({}, default_end=end) == HistoryQuery(group="month", start=datetime.date(2024, 7, 1), end=end)
    q = parse_query({"group": "quarter", "to": "20250603"})
    assert q.start == datetime.date(2022, 7, 1) and q.end == end
    assert parse_query({"group": "day", "from": "2025-06-01", "to": "2025-06-03", "exchange": "shfe"}).exchange == \
        "SHFE"


# ---------------------------------------------------------------- the API

def test_api_answers_rows_with_money_as_decimal_strings(api, staff, history):
    client, accounts, contracts = history
    response = api(staff["am1"]).get(f"/api/clients/{client.pk}/settlement/",
                                     {"group": "quarter", "from": "2024-12-01", "to": "2025-06-30"})
    assert response.status_code == 200
    body = response.json()
    assert (body["group"], body["from"], body["to"], body["product"]) == ("quarter", "2024-12-01", "2025-06-30", "")
    expected = expected_account(accounts, contracts, "quarter")
    assert [r["period"] for r in body["results"]] == [p.isoformat() for p in sorted(expected)]
    first = body["results"][0]
    assert set(first) == {"period", "trading_days", "lots", "turnover", "commission", "exchange_fee",
                          "net_commission", "close_profit", "position_profit", "deposits", "withdrawals",
                          "end_equity", "margin", "peak_margin", "peak_risk_degree"}
    want = expected[datetime.date(2024, 10, 1)]
    assert first["commission"] == f"{want['commission']:.2f}" and isinstance(first["commission"], str)
    assert first["end_equity"] == f"{want['end_equity']:.2f}"
    assert first["trading_days"] == 2 and first["lots"] == want["lots"]


def test_api_product_filter_leaves_account_figures_null(api, staff, history):
    client = history[0]
    body = api(staff["admin"]).get(f"/api/clients/{client.pk}/settlement/",
                                   {"group": "year", "from": "2024-01-01", "to": "2025-12-31", "product": "rb"}).json()
    assert body["product"] == "rb" and body["results"]
    assert all(r["deposits"] is None and r["end_equity"] is None for r in body["results"])


def test_api_defaults_to_the_last_settlement_day(api, staff, history):
    body = api(staff["am1"]).get(f"/api/clients/{history[0].pk}/settlement/").json()
    assert body["group"] == "month" and body["to"] == LAST.isoformat() and body["from"] == "2024-07-01"


@pytest.mark.parametrize("params,name", [({"group": "hour"}, "group"), ({"from": "x"}, "from"),
                                         ({"to": "2025-02-30"}, "to"), ({"exchange": "NYMEX"}, "exchange"),
                                         ({"group": "day", "from": "2020-01-01", "to": "2025-01-01"}, "from")])
def test_api_bad_parameter_is_a_400_naming_it(api, staff, history, params, name):
    response = api(staff["am1"]).get(f"/api/clients/{history[0].pk}/settlement/", params)
    assert response.status_code == 400 and name in response.json()


@pytest.mark.parametrize("who,key,status", [("am1", "zhang", 200), ("am2", "zhang", 404), ("am1", "li", 404),
                                            ("bm_bj", "zhang", 404), ("bm_sh", "li", 200),
                                            ("backoffice", "zhang", 200)])
def test_api_is_scoped_like_the_client(api, staff, book, history, who, key, status):
    assert api(staff[who]).get(f"/api/clients/{book[key].pk}/settlement/").status_code == status


def test_api_history_of_another_client_is_not_reachable_with_a_bad_id(api, staff, history):
    assert api(staff["admin"]).get("/api/clients/999999/settlement/").status_code == 404


def test_client_without_rows_answers_an_empty_list(api, staff, history):
    other = ClientFactory(branch=history[0].branch)
    assert api(staff["admin"]).get(f"/api/clients/{other.pk}/settlement/").json()["results"] == []


def test_by_product_sums_each_products_contract_rows(history):
    from clients.settlement_history import settlement_by_product

    client, _, contracts = history
    rows = settlement_by_product(client, HistoryQuery(group="month", start=FIRST, end=LAST))
    assert {(r["exchange"], r["product"]) for r in rows} == {("SHFE", "rb"), ("CFFEX", "IF")}
    for row in rows:
        mine = [c for c in contracts if c.product == row["product"]]
        assert row["trading_days"] == len({c.trade_date for c in mine})
        assert row["lots"] == sum(c.buy_lots + c.sell_lots for c in mine)
        for name in ("turnover", "commission", "exchange_fee", "close_profit"):
            assert row[name] == sum(getattr(c, name) for c in mine), name
    assert rows[0]["turnover"] >= rows[1]["turnover"]
    narrowed = settlement_by_product(client, HistoryQuery(group="month", start=FIRST, end=LAST, exchange="SHFE"))
    assert [r["product"] for r in narrowed] == ["rb"]


def test_api_and_page_cost_the_same_queries_for_few_periods_or_many(api, client, staff, history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.segmentation.conftest import Book, weekdays

    zhang = history[0]
    rest = api(staff["am1"])
    client.force_login(staff["am1"])
    params = {"group": "day", "from": "2025-06-01", "to": "2026-03-31"}

    def count(fetch):
        with CaptureQueriesContext(connection) as ctx:
            assert fetch().status_code == 200
        return len(ctx.captured_queries)

    few = (count(lambda: rest.get(f"/api/clients/{zhang.pk}/settlement/", params)),
           count(lambda: client.get(f"/clients/{zhang.pk}/history/", params)))
    Book().days(zhang, weekdays(120, datetime.date(2025, 7, 1)), equity=500_000, lots=4, position=2).save()
    many = (count(lambda: rest.get(f"/api/clients/{zhang.pk}/settlement/", params)),
            count(lambda: client.get(f"/clients/{zhang.pk}/history/", params)))
    assert many == few, (few, many)
    # API: the scoped client and the history (the last settlement day is looked up only without `to`). Page:
    # also the user and their staff profile, and the by-product query (the session comes from the cache).
    assert few == (2, 5)
