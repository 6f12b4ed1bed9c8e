"""One test per check of settlement-format.md: the message a user reads, and nothing written."""

import pytest

from clients.imports.services import import_run
from clients.models import AccountSettlement, Branch, Client, ContractSettlement

from .conftest import account_row, client_row, contract_row

pytestmark = pytest.mark.django_db


def assert_nothing_written(clients_before):
    assert AccountSettlement.objects.count() == 0
    assert ContractSettlement.objects.count() == 0
    assert Client.objects.count() == clients_before


def reject(write_csv, kind, rows, column, fragment):
    before = Client.objects.count()
    batch = import_run(kind=kind, path=write_csv(kind, rows))
    assert batch.status == "rejected"
    assert batch.rows_written == 0
    reasons = [(e["column"], e["reason"]) for e in batch.report["errors"]]
    assert any(c == column and fragment in r for c, r in reasons), reasons
    assert_nothing_written(before)
    # The good row next to the bad one was not written either (all-or-nothing).
    return batch


ROW_CHECKS = [
    # (id, kind, row, column, message fragment)
    ("balance-identity", "accounts", account_row(balance="98000.00"), "balance",
     "≠ pre_balance + deposit − withdrawal + close_profit + position_profit − commission = 100970.25"),
    ("fee-over-commission-account", "accounts", account_row(exchange_fee="31.00"), "exchange_fee",
     "exchange_fee 31.00 is greater than commission 30.00"),
    ("negative-deposit", "accounts", account_row(deposit="-5.00"), "deposit", "“-5.00” must not be negative"),
    ("negative-withdrawal", "accounts", account_row(withdrawal="-5.00"), "withdrawal", "must not be negative"),
    ("negative-commission", "accounts", account_row(commission="-1.00", exchange_fee="0.00"), "commission",
     "must not be negative"),
    ("negative-exchange-fee", "accounts", account_row(exchange_fee="-1.00"), "exchange_fee", "must not be negative"),
    ("negative-margin", "accounts", account_row(margin="-1.00"), "margin", "must not be negative"),
    ("negative-margin-call", "accounts", account_row(margin_call="-1.00"), "margin_call", "must not be negative"),
    ("money-not-decimal", "accounts", account_row(pre="1,000.00"), "pre_balance", "“1,000.00” is not a decimal amount"),
    ("money-three-decimals", "accounts", account_row(close_profit="1200.505"), "close_profit",
     "“1200.505” has more than two decimals"),
    ("date-format", "accounts", account_row(trade_date="02/01/2025"), "trade_date",
     "is not a date (expected YYYY-MM-DD or YYYYMMDD)"),
    ("date-not-real", "accounts", account_row(trade_date="2025-02-30"), "trade_date", "is not a real calendar date"),
    ("required-value", "accounts", account_row(account_id=""), "account_id", "is required"),
    ("contract-fee-over-commission", "contracts", contract_row(exchange_fee="40.00"), "exchange_fee",
     "exchange_fee 40.00 is greater than commission 30.00"),
    ("contract-lots", "contracts", contract_row(buy_lots="2.5"), "buy_lots", "is not a whole number of lots ≥ 0"),
    ("contract-negative-lots", "contracts", contract_row(long_position="-1"), "long_position",
     "is not a whole number of lots ≥ 0"),
    ("contract-exchange", "contracts", contract_row(exchange="NYMEX"), "exchange",
     "“NYMEX” is not one of: CFFEX, CZCE, DCE, GFEX, INE, SHFE"),
    ("contract-hedge-flag", "contracts", contract_row(hedge_flag="套汇"), "hedge_flag",
     "“套汇” is not one of: arbitrage, hedge, speculation"),
    ("contract-instrument", "contracts", contract_row(instrument="螺纹钢"), "instrument",
     "is not an instrument code such as rb2505 or IF2506"),
    ("contract-negative-turnover", "contracts", contract_row(turnover="-1.00"), "turnover", "must not be negative"),
    ("client-type", "clients", client_row(client_type="trust"), "client_type", "“trust” is not one of"),
    ("client-id-type", "clients", client_row(id_type="驾照"), "id_type", "“驾照” is not one of"),
    ("client-id-card-check-digit", "clients", client_row(id_number="110101198503151230"), "id_number",
     "is not a valid resident ID number"),
    ("client-uscc", "clients", client_row(client_type="institution", id_type="business_license",
                                          id_number="91310000MA1FL0000X"), "id_number",
     "is not a valid unified social credit code"),
    ("client-gender", "clients", client_row(gender="x"), "gender", "“x” is not one of: female, male"),
    ("client-risk-level", "clients", client_row(risk_level="C9"), "risk_level", "“C9” is not one of: C1, C2"),
    ("client-investor-class", "clients", client_row(investor_class="vip"), "investor_class", "is not one of"),
    ("client-channel", "clients", client_row(channel="tv"), "channel", "is not one of"),
    ("client-close-before-open", "clients", client_row(close_date="2024-01-01"), "close_date",
     "close_date 2024-01-01 is before open_date 2024-03-01"),
    ("client-open-date-required", "clients", client_row(open_date=""), "open_date", "is required"),
    ("client-email", "clients", client_row(email="not-an-address"), "email", "is not an e-mail address"),
    ("client-phone", "clients", client_row(phone="n/a"), "phone", "“n/a” is not a phone number"),
    ("client-name-too-long", "clients", client_row(name="张" * 129), "name", "is longer than 128 characters"),
]


@pytest.mark.parametrize(("kind", "row", "column", "fragment"), [c[1:] for c in ROW_CHECKS],
                         ids=[c[0] for c in ROW_CHECKS])
def test_row_check_rejects_file_with_its_message(write_csv, branches, kind, row, column, fragment):
    good = {"accounts": account_row(account_id="90000009"), "contracts": contract_row(account_id="90000009"),
            "clients": client_row(account_id="90000009")}[kind]
    batch = reject(write_csv, kind, [good, row], column, fragment)
    assert batch.report["errors"][0]["line"] == 3
    assert batch.rows_read == 2 and batch.rows_rejected == 1
    assert batch.quarantined_rows.get().status == "rejected_file"


def test_missing_required_column_rejects_before_any_row(write_csv, branches):
    header = [h for h in account_row() if h != "equity"]
    path = write_csv(header, [[v for k, v in account_row().items() if k != "equity"]])
    batch = import_run(kind="accounts", path=path)
    assert batch.status == "rejected"
    assert batch.report["file_error"] == "Missing required column(s): equity (客户权益). No row was read."
    assert batch.rows_read == 0
    assert_nothing_written(0)


def test_duplicate_column_rejected(write_csv):
    row = account_row()
    path = write_csv([*row, "资金账号"], [[*row.values(), "x"]])
    batch = import_run(kind="accounts", path=path)
    assert batch.report["file_error"] == "Column account_id appears twice in the header."
    assert_nothing_written(0)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    batch = import_run(kind="accounts", path=path)
    assert batch.report["file_error"] == "The file is empty: it has no header line."


def test_undecodable_file_rejected(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"trade_date,account_id\n\xff\xfe\xff\x00\x81\xff\n")
    batch = import_run(kind="accounts", path=path)
    assert batch.status == "rejected"
    assert batch.report["file_error"].startswith("The file is neither UTF-8 nor GB18030/GBK text")
    assert_nothing_written(0)


def test_gb18030_file_read_as_utf8_is_rejected_with_its_line(write_csv):
    path = write_csv("clients", [client_row()], encoding="gb18030")
    batch = import_run(kind="clients", path=path, encoding="utf-8")
    assert batch.report["file_error"] == "Line 2: the file is not valid UTF-8 text; give its encoding explicitly."
    assert_nothing_written(0)


def test_every_bad_row_is_reported_not_only_the_first(write_csv):
    rows = [account_row(account_id="1", deposit="-1.00"), account_row(account_id="2"),
            account_row(account_id="3", trade_date="x")]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows))
    assert [(e["line"], e["column"]) for e in batch.report["errors"]] == [(2, "deposit"), (4, "trade_date")]
    assert Branch.objects.filter(code="UNASSIGNED").count() == 0
    assert_nothing_written(0)
