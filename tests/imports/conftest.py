import csv
import io

import pytest

from clients.demo_settlement import ACCOUNT_HEADER, CONTRACT_HEADER

CLIENT_HEADER = ["account_id", "name", "client_type", "id_type", "id_number", "branch_code", "open_date"]


def account_row(account_id="90000001", trade_date="2025-01-02", pre="100000.00", deposit="0.00", withdrawal="0.00",
                close_profit="1200.50", position_profit="-200.25", commission="30.00", exchange_fee="12.00",
                equity=None, margin="20000.00", margin_call="0.00", balance=None, available=None):
    """A consistent account row; override any cell to break it."""
    from decimal import Decimal, InvalidOperation

    try:
        expected = (Decimal(pre) + Decimal(deposit) - Decimal(withdrawal) + Decimal(close_profit)
                    + Decimal(position_profit) - Decimal(commission))
    except InvalidOperation:  # a deliberately broken cell: the identity does not matter
        expected = Decimal("0")
    balance = balance if balance is not None else f"{expected:.2f}"
    equity = equity if equity is not None else balance
    if available is None:
        try:
            available = f"{Decimal(equity) - Decimal(margin):.2f}"
        except InvalidOperation:
            available = "0.00"
    return {"trade_date": trade_date, "account_id": account_id, "pre_balance": pre, "deposit": deposit,
            "withdrawal": withdrawal, "close_profit": close_profit, "position_profit": position_profit,
            "commission": commission, "exchange_fee": exchange_fee, "balance": balance, "equity": equity,
            "margin": margin, "available": available, "margin_call": margin_call}


def contract_row(account_id="90000001", trade_date="2025-01-02", **over):
    row = {"trade_date": trade_date, "account_id": account_id, "exchange": "SHFE", "instrument": "rb2505",
           "product": "rb", "hedge_flag": "speculation", "buy_lots": "3", "sell_lots": "1",
           "turnover": "140000.00", "commission": "30.00", "exchange_fee": "12.00", "close_profit": "1200.50",
           "long_position": "2", "short_position": "0", "margin": "20000.00"}
    row.update(over)
    return row


def client_row(account_id="90000001", **over):
    from clients.identity import id_card_with_check

    row = {"account_id": account_id, "name": "钱七", "client_type": "individual", "id_type": "id_card",
           "id_number": id_card_with_check("11010119850315123"), "branch_code": "SH01", "open_date": "2024-03-01"}
    row.update(over)
    return row


HEADERS = {"accounts": ACCOUNT_HEADER, "contracts": CONTRACT_HEADER, "clients": CLIENT_HEADER}


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(kind_or_header, rows, name=…, encoding=…, bom=…) → path of a CSV file."""
    counter = {"n": 0}

    def write(header, rows, *, name=None, encoding="utf-8", bom=False):
        header = list(HEADERS[header] if isinstance(header, str) else header)
        if rows and isinstance(rows[0], dict):
            for r in rows:
                header += [k for k in r if k not in header]
            rows = [[r.get(h, "") for h in header] for r in rows]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        counter["n"] += 1
        path = tmp_path / (name or f"file{counter['n']}.csv")
        data = buf.getvalue().encode(encoding)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return write


@pytest.fixture(params=["sql", "python"])
def line_check(request, settings):
    """Run a test with PostgreSQL reading a settlement file's lines (direct/staged) and with Python checking
    every row before the COPY (`IMPORT_LINE_CHECK`)."""
    settings.IMPORT_LINE_CHECK = request.param
    return request.param


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Uploads hand their import to a Celery task: run it in-process (as with no broker configured), except
    in the tests that start a real worker."""
    if "celery_worker_live" in request.fixturenames:
        yield
        return
    from futures_crm.celery import app

    eager = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True  # the settings' name: it wins over `task_always_eager`
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = eager


def pytest_terminal_summary(terminalreporter):
    """The fault suite's figures (faults injected, rows compared, lost, doubled), for the closing note."""
    import sys

    module = sys.modules.get("tests.imports.test_faults")
    figures = getattr(module, "FIGURES", None)
    if not figures:
        return
    terminalreporter.section("import fault suite")
    for name, values in figures.items():
        terminalreporter.line(f"{name}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
    totals = {k: sum(v.get(k, 0) for v in figures.values()) for k in ("faults injected", "rows compared", "lost",
                                                                       "doubled")}
    terminalreporter.line("total: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
