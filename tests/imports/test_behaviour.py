"""What the import does with good files: encodings, idempotence, partial mode, placeholders, closing, alerts."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from clients.imports.services import import_run, quarantine_rerun
from clients.models import AccountSettlement, Branch, Client, ContractSettlement, SettlementAlert
from futures_crm.models import AuditEntry

from .conftest import account_row, client_row, contract_row

pytestmark = pytest.mark.django_db

CN_ACCOUNT_HEADER = ["交易日", "资金账号", "上日结存", "入金", "出金", "平仓盈亏", "持仓盯市盈亏", "手续费",
                     "交易所手续费", "当日结存", "客户权益", "保证金占用", "可用资金", "追加保证金"]


def test_gb18030_file_with_chinese_headers_and_values(write_csv, branches):
    header = ["资金账号", "客户名称", "客户类型", "证件类型", "证件号码", "营业部代码", "开户日期", "性别", "开发渠道"]
    row = client_row(client_type="自然人", id_type="居民身份证")
    path = write_csv(header, [[row["account_id"], "钱七", "自然人", "居民身份证", row["id_number"], "SH01", "20240301",
                               "男", "居间人"]], encoding="gb18030")
    batch = import_run(kind="clients", path=path)
    assert batch.status == "imported", batch.report
    assert batch.encoding == "gb18030"
    client = Client.objects.get(account_id=row["account_id"])
    assert (client.name, client.client_type, client.id_type, client.gender, client.channel) == (
        "钱七", "individual", "id_card", "male", "intermediary")
    assert str(client.open_date) == "2024-03-01"
    assert client.name_pinyin == "qianqi"


def test_chinese_account_header_gbk(write_csv):
    row = account_row()
    path = write_csv(CN_ACCOUNT_HEADER, [list(row.values())], encoding="gbk")
    batch = import_run(kind="accounts", path=path)
    assert batch.status == "imported", batch.report
    assert AccountSettlement.objects.get().balance == Decimal("100970.25")


def test_utf8_bom_and_unknown_columns_warned_once(write_csv):
    rows = [{**account_row(account_id=str(n)), "备注": "x", "operator": "y"} for n in range(3)]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows, bom=True))
    assert batch.status == "imported"
    assert batch.encoding == "utf-8"
    assert batch.warning_texts.count("Unknown column(s) ignored: 备注, operator") == 1
    assert AccountSettlement.objects.count() == 3


def test_money_is_exact_decimal(write_csv):
    row = account_row(pre="12345678901234.01", close_profit="0.10", position_profit="0.20", commission="0.30",
                      exchange_fee="0.10")
    import_run(kind="accounts", path=write_csv("accounts", [row]))
    assert AccountSettlement.objects.get().balance == Decimal("12345678901234.01")


def test_same_file_twice_changes_nothing(write_csv, line_check):
    path = write_csv("accounts", [account_row(account_id="1"), account_row(account_id="2")])
    first = import_run(kind="accounts", path=path)
    second = import_run(kind="accounts", path=path)
    assert (first.status, first.rows_written) == ("imported", 2)
    assert second.status == "duplicate"
    assert AuditEntry.objects.filter(action="import.accounts", object_id=str(first.pk)).count() == 1
    assert second.message.startswith(f"This file was already imported as batch #{first.pk}")
    assert AccountSettlement.objects.count() == 2


def test_overlapping_file_replaces_rows_and_totals_never_double(write_csv, line_check):
    day1 = [account_row(account_id=str(n), trade_date="2025-01-02", commission="10.00", exchange_fee="4.00")
            for n in range(3)]
    import_run(kind="accounts", path=write_csv("accounts", day1))
    # Day 1 corrected for account 0 plus a new day 2: one row replaced, three new.
    again = [account_row(account_id="0", trade_date="20250102", commission="25.00", exchange_fee="4.00")] + [
        account_row(account_id=str(n), trade_date="2025-01-03", commission="1.00", exchange_fee="0.50")
        for n in range(3)]
    batch = import_run(kind="accounts", path=write_csv("accounts", again))
    assert (batch.rows_written, batch.rows_replaced) == (4, 1)
    assert AccountSettlement.objects.count() == 6
    assert AccountSettlement.objects.aggregate(s=Sum("commission"))["s"] == Decimal("48.00")
    assert str(batch.date_from) == "2025-01-02" and str(batch.date_to) == "2025-01-03"


def test_contract_rows_replace_by_instrument_and_hedge_flag(write_csv, line_check):
    rows = [contract_row(), contract_row(hedge_flag="hedge", commission="5.00", exchange_fee="1.00")]
    import_run(kind="contracts", path=write_csv("contracts", rows))
    batch = import_run(kind="contracts", path=write_csv("contracts", [contract_row(commission="50.00")]))
    assert (batch.rows_written, batch.rows_replaced) == (1, 1)
    assert ContractSettlement.objects.aggregate(s=Sum("commission"))["s"] == Decimal("55.00")


def test_key_repeated_inside_a_file_counts_once(write_csv):
    rows = [account_row(commission="10.00", exchange_fee="1.00"), account_row(commission="20.00", exchange_fee="1.00")]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows))
    assert AccountSettlement.objects.get().commission == Decimal("20.00")
    assert "1 row(s) repeat a key already given earlier in the file; the last one counts." in batch.warning_texts


def test_partial_mode_quarantines_then_correction_imports(write_csv, staff, line_check):
    rows = [account_row(account_id="1"), account_row(account_id="2", deposit="-3.00"), account_row(account_id="3")]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows), partial=True)
    assert (batch.status, batch.rows_written, batch.rows_rejected) == ("partial", 2, 1)
    row = batch.quarantined_rows.get()
    assert (row.line, row.status, row.raw["deposit"]) == (3, "open", "-3.00")
    assert row.errors == [{"line": 3, "column": "deposit", "reason": "“-3.00” must not be negative",
                           "reason_code": "row.negative", "reason_params": {"v": "-3.00"}}]

    # A correction that is still wrong goes through the same checks and stays in quarantine.
    still_bad = quarantine_rerun(row=row, raw={**row.raw, "deposit": "3.00"}, by=staff["head"])
    assert still_bad.status == "rejected"
    row.refresh_from_db()
    assert row.status == "open" and row.errors[0]["column"] == "balance"

    balance = f"{Decimal(row.raw['balance']) + 3:.2f}"
    fixed = quarantine_rerun(row=row, raw={**row.raw, "deposit": "0.00", "balance": balance}, by=staff["head"])
    row.refresh_from_db()
    assert (fixed.status, row.status, row.fixed_batch_id) == ("imported", "fixed", fixed.pk)
    assert sorted(AccountSettlement.objects.values_list("client__account_id", flat=True)) == ["1", "2", "3"]


def test_unknown_account_becomes_placeholder_then_clients_file_completes_it(write_csv, branches, line_check):
    batch = import_run(kind="accounts", path=write_csv("accounts", [account_row(account_id="88880001")]))
    placeholder = Client.objects.get(account_id="88880001")
    assert placeholder.profile_complete is False
    assert placeholder.branch.code == "UNASSIGNED"
    assert any("placeholder" in w and "88880001" in w for w in batch.warning_texts)

    batch = import_run(kind="clients", path=write_csv("clients", [client_row(account_id="88880001")]))
    assert (batch.rows_written, batch.rows_replaced) == (1, 1)
    client = Client.objects.get(account_id="88880001")
    assert (client.profile_complete, client.name, client.branch.code) == (True, "钱七", "SH01")
    assert client.account_settlements.count() == 1


def test_unknown_branch_created_and_unknown_links_warned(write_csv, staff):
    rows = [client_row(account_id="1", branch_code="GZ09", manager_code="AM001"),
            client_row(account_id="2", manager_code="NOBODY", intermediary_code="J999", referrer_account_id="404")]
    batch = import_run(kind="clients", path=write_csv("clients", rows))
    assert batch.status == "imported"
    branch = Branch.objects.get(code="GZ09")
    assert (branch.name, branch.is_complete) == ("GZ09", False)
    assert Client.objects.get(account_id="1").account_manager == staff["am1"]
    second = Client.objects.get(account_id="2")
    assert (second.account_manager, second.intermediary_code, second.referrer) == (None, "", None)
    text = " | ".join(batch.warning_texts)
    assert "Unknown branch code(s) created as new branches named by their code: GZ09" in text
    assert "Unknown account-manager code(s), link left empty: line 3 (NOBODY)" in text
    assert "Unknown intermediary code(s), link left empty: line 3 (J999)" in text
    assert "Unknown referrer account(s), link left empty: line 3 (404)" in text


def test_referrer_in_the_same_file_is_linked(write_csv, branches):
    rows = [client_row(account_id="2", referrer_account_id="1"), client_row(account_id="1")]
    import_run(kind="clients", path=write_csv("clients", rows))
    assert Client.objects.get(account_id="2").referrer.account_id == "1"


def test_closing_through_clients_file(write_csv, book):
    zhang = book["zhang"]
    row = client_row(account_id=zhang.account_id, name=zhang.name, id_number=zhang.id_number, close_date="2025-03-31",
                     phone="")
    batch = import_run(kind="clients", path=write_csv("clients", [row]))
    assert batch.status == "imported"
    zhang.refresh_from_db()
    assert (zhang.status, str(zhang.close_date)) == ("closed", "2025-03-31")
    assert zhang.phone == "13800001111"  # an empty optional cell is absent: it never blanks a stored value
    assert zhang.account_manager is not None


def test_negative_equity_and_margin_call_raise_alerts_once(write_csv, book, line_check):
    zhang = book["zhang"]
    row = account_row(account_id=zhang.account_id, pre="1000.00", close_profit="-3000.00", position_profit="0.00",
                      commission="10.00", exchange_fee="5.00", margin="500.00", margin_call="2510.00")
    path = write_csv("accounts", [row])
    batch = import_run(kind="accounts", path=path)
    assert batch.report["alerts"] == 2
    alerts = {a.kind: a.amount for a in SettlementAlert.objects.filter(client=zhang)}
    assert alerts == {"negative_equity": Decimal("-2010.00"), "margin_call": Decimal("2510.00")}
    # Importing the same day again (a new file) updates the alerts rather than doubling them.
    import_run(kind="accounts", path=write_csv("accounts", [row, account_row(account_id="x")]))
    assert SettlementAlert.objects.filter(client=zhang).count() == 2


def test_a_changed_amount_reopens_an_acknowledged_alert(write_csv, book, line_check, django_user_model):
    """A corrected file with a deeper 穿仓 must reach the manager again; the same amount stays acknowledged."""
    zhang, staff = book["zhang"], django_user_model.objects.create(username="risk")

    def day(close_profit, account_id=zhang.account_id):
        return account_row(account_id=account_id, pre="1000.00", close_profit=close_profit, position_profit="0.00",
                           commission="10.00", exchange_fee="5.00", margin="0.00")

    import_run(kind="accounts", path=write_csv("accounts", [day("-3000.00")]))
    SettlementAlert.objects.update(acknowledged_at=timezone.now(), acknowledged_by=staff)
    import_run(kind="accounts", path=write_csv("accounts", [day("-3000.00"), day("0.00", "x1")]))
    assert SettlementAlert.objects.get(client=zhang).acknowledged_by == staff
    import_run(kind="accounts", path=write_csv("accounts", [day("-5000.00")]))
    alert = SettlementAlert.objects.get(client=zhang)
    assert (alert.amount, alert.acknowledged_at, alert.acknowledged_by) == (Decimal("-4010.00"), None, None)


def test_contract_sums_differing_from_account_row_is_a_warning(write_csv):
    import_run(kind="accounts", path=write_csv("accounts", [account_row(commission="30.00", exchange_fee="12.00")]))
    batch = import_run(kind="contracts", path=write_csv("contracts", [contract_row(commission="20.00",
                                                                                    exchange_fee="12.00")]))
    assert batch.status == "imported"
    assert any("contract rows add up to commission 20.00" in w and "the account row says 30.00" in w
               for w in batch.warning_texts)


def test_product_derived_from_instrument(write_csv):
    import_run(kind="contracts", path=write_csv("contracts", [contract_row(product="", instrument="SR509")]))
    assert ContractSettlement.objects.get().product == "SR"


def test_command_exit_status_and_report(write_csv, capsys):
    good = write_csv("accounts", [account_row()])
    call_command("import_data", "accounts", str(good))
    out = capsys.readouterr().out
    assert "Imported." in out and "rows read 1, written 1" in out
    call_command("import_data", "accounts", str(good))
    assert "already imported" in capsys.readouterr().out
    bad = write_csv("accounts", [account_row(account_id="2", margin="-1.00")])
    with pytest.raises(CommandError) as exc:
        call_command("import_data", "accounts", str(bad), "--encoding", "utf-8")
    assert exc.value.returncode == 2
    assert "line 2, column margin: “-1.00” must not be negative" in capsys.readouterr().out
    call_command("import_data", "accounts", str(bad), "--partial")
    assert "quarantined" in capsys.readouterr().out


def test_a_corrected_day_withdraws_open_alerts_it_no_longer_bears_out(write_csv, book, line_check):
    zhang, zhao = book["zhang"], book["zhao"]

    def day(account_id, close_profit, margin_call="0.00"):
        return account_row(account_id=account_id, pre="1000.00", close_profit=close_profit, position_profit="0.00",
                           commission="10.00", exchange_fee="5.00", margin="0.00", margin_call=margin_call)

    import_run(kind="accounts", path=write_csv("accounts", [day(zhang.account_id, "-3000.00"),
                                                             day(zhao.account_id, "-3000.00", "100.00")]))
    SettlementAlert.objects.filter(client=zhao, kind="negative_equity").update(acknowledged_at=timezone.now())
    batch = import_run(kind="accounts", path=write_csv("accounts", [day(zhang.account_id, "0.00"),
                                                                     day(zhao.account_id, "0.00")]))
    assert batch.rows_replaced == 2
    # zhang's open alert is gone; zhao's margin call too, but the acknowledged 穿仓 stays as a record.
    assert set(SettlementAlert.objects.values_list("client__account_id", "kind")) == {
        (zhao.account_id, "negative_equity")}


def test_clients_file_phone_stored_as_the_screen_pop_matches_it(write_csv, branches):
    import_run(kind="clients", path=write_csv("clients", [client_row(phone="+86 138-0000 2222")]))
    assert Client.objects.get().phone == "13800002222"
