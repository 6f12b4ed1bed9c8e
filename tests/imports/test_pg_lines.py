"""With IMPORT_LINE_CHECK "sql", PostgreSQL's COPY takes well-formed lines as written (direct or staged
route) and the row identities are checked in SQL; with "python" every row is checked in Python and COPYed.
Both must give the same batch, messages, rows and quarantine."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from clients.demo_settlement import ACCOUNT_HEADER, CONTRACT_HEADER
from clients.imports.formats import ACCOUNTS
from clients.imports.services import import_run
from clients.models import AccountSettlement, Branch, Client, ContractSettlement, ImportBatch, SettlementAlert

from .conftest import account_row, contract_row

pytestmark = pytest.mark.django_db


def _line(header, row):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row.get(h, "") for h in header])
    return buf.getvalue()


def _accounts_text(ignored_column=True, repeat=True, reverse=False, chinese=False):
    """Every kind of line; `ignored_column` (a remark column in the middle) keeps it off the direct route;
    `reverse` lays the columns out backwards, `chinese` names them by their Chinese aliases."""
    header = ACCOUNT_HEADER[:2] + ["备注"] + ACCOUNT_HEADER[2:] if ignored_column else list(ACCOUNT_HEADER)
    if reverse:
        header.reverse()
    rows = [
        _line(header, account_row("90000001")),                                   # 2 as written
        _line(header, account_row("90000001", trade_date="20250103")),            # 3 YYYYMMDD
        _line(header, {**account_row("90000002"), "备注": "a, b"}),               # 4 quoted cell
        _line(header, account_row("90000003", deposit=" 5.00")),                  # 5 padded amount
        _line(header, account_row("90000004", balance="1.00")),                   # 6 balance identity
        _line(header, account_row("90000005", exchange_fee="31.00")),             # 7 fee > commission
        _line(header, account_row("90000006", deposit="-5.00")),                  # 8 negative
        "\n",                                                                     # 9 blank
        _line(header, account_row("90000007", trade_date="2025-02-30")),          # 10 not a real date
        _line(header, {**account_row("90000008"), "备注": "two\nlines"}),          # 11-12 one record
        "2025-01-02,90000009,x,100.00\n",                                         # 13 short row
        _line(header, account_row("90000010")).rstrip("\n") + ",extra\n",         # 14 extra cell: rejected
        _line(header, account_row("90000001", deposit="+7.00")),                  # 15 repeats line 2's key
        _line(header, account_row("90000011", withdrawal="-0.00", equity="-5.00", margin_call="3.00")),  # 16
        _line(header, account_row("90000012", balance="98000.00", exchange_fee="-1.00")),  # 17 two reasons
    ]
    if not repeat:
        rows[12] = _line(header, account_row("90000013", deposit="+7.00"))
    if reverse:
        rows[10] = "100.00,x,90000009,2025-01-02\n"  # still a short row
    names = [ALIASES.get(h, h) for h in header] if chinese else header
    return ",".join(names) + "\n" + "".join(rows)


def _contracts_text():
    header = CONTRACT_HEADER
    rows = [
        _line(header, contract_row("90000001")),
        _line(header, contract_row("90000001", instrument="m2505-C-3000", product="")),
        _line(header, contract_row("90000002", exchange="上期所", hedge_flag="套保")),
        _line(header, contract_row("90000003", exchange_fee="40.00")),
        _line(header, contract_row("90000004", instrument="螺纹钢")),
        _line(header, contract_row("90000005", instrument="rb2505", product="")),
    ]
    return ",".join(header) + "\n" + "".join(rows)


def _snapshot(batch):
    accounts = list(AccountSettlement.objects.order_by("trade_date", "client__account_id").values_list(
        "trade_date", "client__account_id", *[f for f in ACCOUNT_HEADER[2:]]))
    contracts = list(ContractSettlement.objects.order_by("trade_date", "client__account_id", "instrument").values_list(
        "trade_date", "client__account_id", "exchange", "instrument", "product", "hedge_flag", "buy_lots",
        "commission", "exchange_fee"))
    alerts = sorted(SettlementAlert.objects.values_list("client__account_id", "trade_date", "kind", "amount"))
    quarantine = list(batch.quarantined_rows.order_by("line").values_list("line", "raw", "errors", "status"))
    return {"status": batch.status, "read": batch.rows_read, "rejected": batch.rows_rejected,
            "written": batch.rows_written, "replaced": batch.rows_replaced, "warnings": batch.warning_texts,
            "errors": batch.report["errors"], "from": batch.date_from, "to": batch.date_to,
            "accounts": accounts, "contracts": contracts, "alerts": alerts, "quarantine": quarantine}


def _run_both(settings, tmp_path, kind, text, encoding, partial, known=()):
    """Import with the lines checked in Python, then read by PostgreSQL; `known` accounts exist beforehand
    (the others become placeholders). Returns both snapshots and the route PostgreSQL took."""
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(text.encode(encoding))
    seen = {}
    for line_check in ("python", "sql"):
        settings.IMPORT_LINE_CHECK = line_check
        branch = Branch.objects.get_or_create(code="SH01", defaults={"name": "上海"})[0]
        for account in known:
            Client.objects.create(account_id=account, name=account, branch=branch, open_date="2024-01-02")
        batch = import_run(kind=kind, path=path, partial=partial)
        seen[line_check] = _snapshot(batch)
        seen["route"] = batch.report["route"]
        for model in (SettlementAlert, AccountSettlement, ContractSettlement, Client, ImportBatch):
            model.objects.all().delete()
    return seen


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("partial", [True, False])
def test_accounts_same_outcome_on_both_paths(settings, tmp_path, encoding, partial):
    seen = _run_both(settings, tmp_path, "accounts", _accounts_text(), encoding, partial)
    assert seen["route"] == "staged"  # the ignored column keeps it off the direct route
    assert seen["sql"] == seen["python"]
    result = seen["sql"]
    assert result["read"] == 14
    assert sorted({e["line"] for e in result["errors"]}) == [6, 7, 8, 10, 13, 14, 17]
    assert [q[0] for q in result["quarantine"]] == [6, 7, 8, 10, 13, 14, 17]
    assert next(e for e in result["errors"] if e["line"] == 14) == {
        "line": 14, "column": "", "reason": "the line has 16 cells but the header has 15 columns; nothing of it is "
                                           "imported (a cell with a comma must be quoted)",
        "reason_code": "row.width", "reason_params": {"n": 16, "width": 15}}
    if partial:
        assert result["status"] == "partial"
        assert {a[1] for a in result["accounts"]} == {"90000001", "90000002", "90000003", "90000008", "90000011"}
        line15 = next(a for a in result["accounts"] if a[1] == "90000001" and str(a[0]) == "2025-01-02")
        assert str(line15[3]) == "7.00"  # the repeated key's last line won
    else:
        assert result["status"] == "rejected" and result["accounts"] == []


ALIASES = {c.name: c.alias for c in ACCOUNTS.columns}
KNOWN = ["90000001", "90000002", "90000004", "90000005", "90000006", "90000011", "90000012"]


@pytest.mark.parametrize("partial", [True, False])
@pytest.mark.parametrize("variant", ["utf-8", "gb18030, CRLF, Chinese header", "columns reversed"])
def test_direct_route_same_outcome_as_python_checks(settings, tmp_path, partial, variant):
    """Known accounts' lines go straight into the table, the rest (placeholders, lines Python must check)
    are staged; identities failing in SQL are quarantined with the Python checks' messages."""
    text = _accounts_text(ignored_column=False, repeat=False, reverse=variant == "columns reversed",
                          chinese=variant.startswith("gb18030"))
    if variant.startswith("gb18030"):
        text = text.replace("\n", "\r\n")
    seen = _run_both(settings, tmp_path, "accounts", text, variant.split(",")[0].replace("columns reversed", "utf-8"),
                     partial, known=KNOWN)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    result = seen["sql"]
    # Without the remark column the two-line record is one line: the later lines move up by one.
    assert sorted({e["line"] for e in result["errors"]}) == [6, 7, 8, 10, 12, 13, 16]
    if partial:
        assert result["status"] == "partial"
        assert result["written"] == len(result["accounts"]) == 7 and result["alerts"] == [
            ("90000011", datetime.date(2025, 1, 2), "margin_call", Decimal("3.00")),
            ("90000011", datetime.date(2025, 1, 2), "negative_equity", Decimal("-5.00"))]
        assert (result["from"], result["to"]) == ("2025-01-02", "2025-01-03")  # as the batch holds them on return
    else:
        assert result["status"] == "rejected" and result["accounts"] == [] and result["alerts"] == []


def test_direct_route_meeting_a_repeated_key_starts_again_staged(settings, tmp_path):
    seen = _run_both(settings, tmp_path, "accounts", _accounts_text(ignored_column=False), "utf-8", True, known=KNOWN)
    assert seen["route"] == "staged"
    assert seen["sql"] == seen["python"]
    assert sorted({e["line"] for e in seen["sql"]["errors"]}) == [6, 7, 8, 10, 12, 13, 16]  # reported once each


def test_a_stored_day_later_in_the_file_replaces_rows_after_a_direct_start(tmp_path, write_csv):
    branch = Branch.objects.create(code="SH01", name="上海")
    for account in ("90000001", "90000002"):
        Client.objects.create(account_id=account, name=account, branch=branch, open_date="2024-01-02")
    import_run(kind="accounts", path=write_csv("accounts", [account_row("90000001", trade_date="2025-01-03")]))
    batch = import_run(kind="accounts", path=write_csv("accounts", [
        account_row("90000001"), account_row("90000002"),
        account_row("90000001", trade_date="2025-01-03", deposit="5.00")]))
    assert batch.status == "imported" and batch.report["route"] == "staged"
    assert (batch.rows_written, batch.rows_replaced) == (3, 1)
    assert AccountSettlement.objects.count() == 3
    assert str(AccountSettlement.objects.get(trade_date="2025-01-03").deposit) == "5.00"


@pytest.mark.parametrize("known", [[], ["90000001", "90000002", "90000003"]])
def test_contracts_same_outcome_on_both_paths(settings, tmp_path, known):
    seen = _run_both(settings, tmp_path, "contracts", _contracts_text(), "utf-8", True, known=known)
    assert seen["route"] == "direct"
    assert seen["sql"] == seen["python"]
    assert sorted({e["line"] for e in seen["sql"]["errors"]}) == [5, 6]
    products = {(c[1], c[3]): c[4] for c in seen["sql"]["contracts"]}
    assert products[("90000001", "m2505-C-3000")] == "m"
    assert products[("90000002", "rb2505")] == "rb"


def test_repeated_key_on_a_day_already_stored_is_replaced_once(settings, tmp_path, write_csv):
    first = import_run(kind="accounts", path=write_csv("accounts", [account_row("90000001")]))
    assert first.status == "imported"
    again = import_run(kind="accounts", path=write_csv("accounts", [account_row("90000001", deposit="1.00"),
                                                                     account_row("90000001", deposit="2.00")]))
    assert again.status == "imported" and again.rows_written == 1 and again.rows_replaced == 1
    assert str(AccountSettlement.objects.get().deposit) == "2.00"


TRICKY = {
    "account_id": ["9" * 32, "9" * 33, " 900", "900 ", "9 0", "中文账号"],
    "deposit": ["1" * 16, "1" * 17, "1.234", "+5", "-0.00", "5.", ".5", "1e5", "NaN", " 5.00", "0"],
    "close_profit": ["-1" + "0" * 15, "-" + "1" * 17, "--1", "+-1", "-0.5"],
    "trade_date": ["20250102", "2025-0102", "202501-02", "2025-02-30", "20250230"],
}


@pytest.mark.parametrize("column", sorted(TRICKY))
def test_a_line_taken_as_written_is_one_the_python_checks_accept(column):
    """The COPY-as-written pattern may refuse a good line (it then takes the Python checks), never pass a bad one."""
    from clients.imports.formats import ACCOUNTS
    from clients.imports.validate import RowValidator

    validator = RowValidator(ACCOUNTS, ACCOUNT_HEADER)
    matcher = validator.line_matcher()
    for value in TRICKY[column]:
        row = account_row(**{column: value})
        cells = [row[h] for h in ACCOUNT_HEADER]
        found = matcher.match(",".join(cells))
        if found is not None and validator.day(found.group("day")):
            problems = validator.check(cells)[1] or []
            # Only the row identities (checked in SQL afterwards) may still refuse it.
            assert {c for c, _r in problems} <= {"balance", "exchange_fee"}, value


@pytest.mark.parametrize("text, encoding, given, file_error", [
    # Line 3 has Chinese in GB18030 but the file is declared UTF-8: refused mid-COPY with its line.
    (",".join(ACCOUNT_HEADER) + ",remark\n" + _line(ACCOUNT_HEADER, account_row()).rstrip("\n") + ",ok\n"
     + _line(ACCOUNT_HEADER, account_row("90000002")).rstrip("\n") + ",中文\n", "gb18030", "utf-8",
     "Line 3: the file is not valid UTF-8 text; give its encoding explicitly."),
    # A quote opened on line 3 and never closed: the csv reader ends the cell there, the row is refused.
    (",".join(ACCOUNT_HEADER) + "\n" + _line(ACCOUNT_HEADER, account_row()) + '2025-01-02,"9000\n',
     "utf-8", "auto", None),
])
def test_file_refused_mid_stream_the_same_on_both_paths(settings, tmp_path, text, encoding, given, file_error):
    path = tmp_path / "accounts.csv"
    path.write_bytes(text.encode(encoding))
    seen = {}
    for line_check in ("python", "sql"):
        settings.IMPORT_LINE_CHECK = line_check
        batch = import_run(kind="accounts", path=path, encoding=given)
        seen[line_check] = (batch.status, batch.report["file_error"], AccountSettlement.objects.count())
        ImportBatch.objects.all().delete()
    assert seen["sql"] == seen["python"]
    assert seen["sql"][0] == "rejected" and seen["sql"][2] == 0
    assert seen["sql"][1] == file_error


def test_a_key_repeated_by_a_line_python_checks_starts_again_staged(tmp_path):
    """The direct COPY takes line 2; line 3 repeats its key in a form only Python reads (quoted cells), so it
    is staged and meets line 2's row: the file starts again on the staged route, where the last line wins."""
    Client.objects.create(account_id="90000001", name="钱七", branch=Branch.objects.create(code="SH01", name="上海"),
                          open_date="2024-01-02")
    quoted = ",".join(f'"{account_row(deposit="5.00")[h]}"' for h in ACCOUNT_HEADER)
    path = tmp_path / "accounts.csv"
    path.write_text(",".join(ACCOUNT_HEADER) + "\n" + _line(ACCOUNT_HEADER, account_row()) + quoted + "\n")
    batch = import_run(kind="accounts", path=path)
    assert (batch.status, batch.report["route"], batch.rows_read, batch.rows_written) == ("imported", "staged", 2, 1)
    assert str(AccountSettlement.objects.get().deposit) == "5.00"
    assert any("repeat a key" in w for w in batch.warning_texts)
