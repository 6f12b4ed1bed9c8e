"""The direct route checks the row identities inside its COPY (`COPY … WHERE`: a row breaking one is not
written) and finds the alert lines as the blocks go by (`pg_file._whole_blocks`), then takes the alerts
from the rows written by key. What the user sees is what the Python checks give: the same messages
(line, column, reason), nothing written when a file is refused, the same alerts."""

import random

import pytest

from clients.demo_settlement import ACCOUNT_HEADER
from clients.imports import reader
from clients.imports.services import import_run
from clients.models import AccountSettlement, SettlementAlert

from .conftest import account_row
from .test_pg_lines import KNOWN, _line, _run_both

pytestmark = pytest.mark.django_db

DAYS = ("2025-01-02", "2025-01-03", "2025-01-06")


def _file(broken: dict[int, dict], header=ACCOUNT_HEADER) -> tuple[str, int]:
    """Known accounts over three days; `broken`: the n-th row (from 0) → cells overriding it. (text, rows)."""
    rows = [account_row(account, trade_date=day) for day in DAYS for account in KNOWN]
    for n, cells in broken.items():
        rows[n] = account_row(rows[n]["account_id"], trade_date=rows[n]["trade_date"], **cells)
    return ",".join(header) + "\n" + "".join(_line(header, r) for r in rows), len(rows)


@pytest.mark.parametrize("block", [200, 1 << 18])
def test_a_broken_identity_caught_in_the_copy_refuses_the_file_naming_line_field_and_reason(
        settings, tmp_path, monkeypatch, block):
    monkeypatch.setattr(reader, "BLOCK_CHARS", block)
    text, rows = _file({3: {"balance": "1.00"}, 15: {"exchange_fee": "31.00", "margin_call": "4.00"}})
    seen = _run_both(settings, tmp_path, "accounts", text, "utf-8", False, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    result = seen["sql"]
    assert result["status"] == "rejected" and result["read"] == rows
    assert [(e["line"], e["column"], e["reason_code"]) for e in result["errors"]] == [
        (5, "balance", "row.balance"), (17, "exchange_fee", "row.fee_over_commission")]
    assert all(e["reason"] for e in result["errors"])
    assert result["written"] == 0 and result["accounts"] == [] and result["alerts"] == []


def test_after_a_refusal_the_fixed_file_imports(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "BLOCK_CHARS", 300)
    from .test_bad_input import _known

    _known(*KNOWN)
    path = tmp_path / "accounts.csv"
    path.write_text(_file({7: {"balance": "5.00", "equity": "-5.00"}})[0])
    refused = import_run(kind="accounts", path=path)
    assert refused.status == "rejected" and refused.report["route"] == "direct"
    assert [(e["line"], e["column"]) for e in refused.report["errors"]] == [(9, "balance")]
    assert AccountSettlement.objects.count() == 0 and SettlementAlert.objects.count() == 0
    text, rows = _file({7: {"equity": "-5.00"}})
    path.write_text(text)
    batch = import_run(kind="accounts", path=path)
    assert (batch.status, batch.rows_written, batch.report["route"]) == ("imported", rows, "direct")
    assert AccountSettlement.objects.count() == rows
    assert list(SettlementAlert.objects.values_list("client__account_id", "kind")) == [(KNOWN[0], "negative_equity")]


def test_partial_a_broken_row_is_quarantined_and_raises_no_alert(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "BLOCK_CHARS", 300)
    text, rows = _file({2: {"balance": "1.00", "margin_call": "9.00"}, 9: {"margin_call": "2.00"}})
    seen = _run_both(settings, tmp_path, "accounts", text, "utf-8", True, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    result = seen["sql"]
    assert (result["status"], result["written"], result["rejected"]) == ("partial", rows - 1, 1)
    assert [q[0] for q in result["quarantine"]] == [4]
    assert [(a[0], a[2]) for a in result["alerts"]] == [(KNOWN[2], "margin_call")]


EQUITY = ["-0.00", "0", "-0.01", "-5", "+3.00", "-0.5", "12.34", "-000.00", "0.00", "-100.10", "1"]
MARGIN_CALL = ["0", "0.00", "+0.00", "0.01", "+5", "000", "3.5", "+0.10", "10.00", "00.0"]


@pytest.mark.parametrize("seed", range(12))
def test_alerts_found_in_blocks_equal_the_alerts_of_the_python_checks(settings, tmp_path, monkeypatch, seed):
    """Random figures at the edges of each alert (signed zeros, leading zeros, one cent), random column
    order and day spelling, blocks of random size, some lines only the per-line route takes (a quoted
    cell) and some breaking an identity: the alerts are those the Python checks give."""
    rng = random.Random(seed)
    monkeypatch.setattr(reader, "BLOCK_CHARS", rng.choice([150, 400, 1500, 1 << 18]))
    header = list(ACCOUNT_HEADER)
    rng.shuffle(header)
    rows = []
    for day in DAYS:
        for account in KNOWN:
            cells = {"equity": rng.choice(EQUITY), "margin_call": rng.choice(MARGIN_CALL),
                     "trade_date": day.replace("-", "") if rng.random() < 0.3 else day}
            if rng.random() < 0.15:
                cells["balance"] = "1.00"  # breaks the balance identity: quarantined, no alert
            rows.append(_line(header, account_row(account, **cells)))
            if len(rows) > 1 and rng.random() < 0.1:  # a quoted cell: its block goes line by line
                cells = rows[-1].rstrip("\n").split(",")
                cells[header.index("account_id")] = f'"{account}"'
                rows[-1] = ",".join(cells) + "\n"
    text = ",".join(header) + "\n" + "".join(rows)
    seen = _run_both(settings, tmp_path, "accounts", text, "utf-8", True, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"]["alerts"] and seen["sql"]["alerts"] == seen["python"]["alerts"]
    assert seen["sql"] == seen["python"]
