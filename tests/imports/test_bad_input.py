"""Bad input ends as a clear rejection on every route: lines of the wrong width, undecodable bytes anywhere,
trading days out of range; names a spreadsheet would take for a formula are just names."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clients.demo_settlement import ACCOUNT_HEADER, CONTRACT_HEADER
from clients.imports.services import import_run
from clients.models import AccountSettlement, Client, ContractSettlement, ImportBatch, QuarantinedRow
from clients.pinyin import pinyin_keys

from .conftest import CLIENT_HEADER, account_row, client_row, contract_row

pytestmark = pytest.mark.django_db

WIDTH_REASON = ("the line has {n} cells but the header has {w} columns; nothing of it is imported (a cell with a "
                "comma must be quoted)")


def width_error(line: int, n: int, w: int) -> dict:
    return {"line": line, "column": "", "reason": WIDTH_REASON.format(n=n, w=w), "reason_code": "row.width",
            "reason_params": {"n": n, "width": w}}


def _text(header, rows, *, extra=None, short=None):
    """CSV text of dict rows; `extra`/`short`: {index: …} a row gets cells appended / loses its last cells."""
    lines = [",".join(header)]
    for i, row in enumerate(rows):
        cells = [row.get(h, "") for h in header]
        if extra and i in extra:
            cells += extra[i]
        if short and i in short:
            cells = cells[:-short[i]]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _known(*accounts):
    from clients.models import Branch

    branch = Branch.objects.get_or_create(code="SH01", defaults={"name": "上海"})[0]
    Client.objects.bulk_create([Client(account_id=a, name=a, branch=branch, open_date="2024-01-02") for a in accounts],
                               batch_size=5000)


# -- lines with more or fewer cells than the header ----------------------------------------------------------

@pytest.mark.parametrize("route", ["direct", "staged", "python"])
@pytest.mark.parametrize("partial", [False, True])
def test_a_line_of_another_width_is_rejected_with_its_line_never_truncated(settings, tmp_path, route, partial):
    """More cells (an unquoted comma shifted them) or fewer: rejected with the line number, on every route."""
    settings.IMPORT_LINE_CHECK = "python" if route == "python" else "sql"
    _known("90000001", "90000002", "90000003", "90000004")
    header = list(ACCOUNT_HEADER) + (["remark"] if route == "staged" else [])
    rows = [{**account_row(a), "remark": "ok"} for a in ("90000001", "90000002", "90000003", "90000004")]
    path = tmp_path / "accounts.csv"
    path.write_text(_text(header, rows, extra={1: ["1,000.00"]}, short={2: 3}))
    batch = import_run(kind="accounts", path=path, partial=partial)
    width = len(header)
    assert batch.report["errors"] == [
        width_error(3, width + 2, width),  # 1 + 2 cells
        width_error(4, width - 3, width)]
    assert [q.line for q in batch.quarantined_rows.order_by("line")] == [3, 4]
    assert batch.quarantined_rows.get(line=3).raw["account_id"] == "90000002"  # kept as the file gave it
    stored = sorted(AccountSettlement.objects.values_list("client__account_id", flat=True))
    if partial:
        assert (batch.status, batch.rows_written, batch.rows_rejected) == ("partial", 2, 2)
        assert stored == ["90000001", "90000004"]
        if route != "python":
            assert batch.report["route"] == route
    else:
        assert batch.status == "rejected" and stored == []


def test_a_contracts_line_with_an_extra_cell_does_not_overwrite_the_stored_row(tmp_path):
    """The issue's case: a line with one cell more was imported and replaced the stored row."""
    _known("90000001")
    first = tmp_path / "c1.csv"
    first.write_text(_text(CONTRACT_HEADER, [contract_row()]))
    assert import_run(kind="contracts", path=first).status == "imported"
    again = tmp_path / "c2.csv"
    again.write_text(_text(CONTRACT_HEADER, [contract_row(commission="99.00")], extra={0: ["x"]}))
    batch = import_run(kind="contracts", path=again, partial=True)
    assert (batch.status, batch.rows_written, batch.rows_rejected) == ("partial", 0, 1)
    assert str(ContractSettlement.objects.get().commission) == "30.00"


def test_a_clients_line_of_another_width_is_rejected(tmp_path, branches):
    path = tmp_path / "clients.csv"
    path.write_text(_text(CLIENT_HEADER, [client_row("1"), client_row("2")], short={1: 1}))
    batch = import_run(kind="clients", path=path)
    assert batch.status == "rejected"
    assert batch.report["errors"] == [width_error(3, 6, 7)]
    assert not Client.objects.filter(account_id__in=["1", "2"]).exists()


# -- undecodable bytes ---------------------------------------------------------------------------------------

def _late_bad_bytes(tmp_path, rows=20000, header=ACCOUNT_HEADER):
    """A UTF-8 file whose first MiB is clean, with bytes that are not UTF-8 (nor GB18030) on its last line."""
    body = "".join(",".join(account_row(str(90000000 + n))[h] for h in header) + "\n" for n in range(rows))
    data = (",".join(header) + "\n" + body).encode() + b"2025-01-02,\xff\xfe\xfd,1\n"
    assert len(data) > (1 << 20)
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    return path, rows + 2


@pytest.mark.parametrize("line_check", ["sql", "python"])
@pytest.mark.parametrize("known", [True, False], ids=["direct", "staged"])
def test_undecodable_bytes_after_the_first_mib_reject_the_file_naming_the_line(settings, tmp_path, line_check, known):
    settings.IMPORT_LINE_CHECK = line_check
    path, bad_line = _late_bad_bytes(tmp_path)
    if known:
        _known(*(str(90000000 + n) for n in range(20000)))
    batch = import_run(kind="accounts", path=path)
    assert batch.status == "rejected"
    assert batch.report["file_error"] == (f"Line {bad_line}: the file is not valid UTF-8 text; give its encoding "
                                          "explicitly.")
    assert AccountSettlement.objects.count() == 0 and batch.rows_written == 0
    assert not batch.quarantined_rows.exists()


def test_undecodable_upload_is_a_422_naming_the_line(api, staff, tmp_path):
    path, bad_line = _late_bad_bytes(tmp_path, rows=12000)
    response = api(staff["backoffice"]).post(
        "/api/imports/", {"kind": "accounts", "file": SimpleUploadedFile("late.csv", path.read_bytes())},
        format="multipart")
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "rejected" and body["finished_at"]
    assert body["report"]["message"] == (f"Line {bad_line}: the file is not valid UTF-8 text; give its encoding "
                                         "explicitly.")
    assert ImportBatch.objects.get().status == "rejected"
    assert AccountSettlement.objects.count() == 0


def test_undecodable_upload_on_the_page_shows_the_rejected_batch(client, staff, tmp_path):
    from tests.factories import PASSWORD

    assert client.login(username="head_u", password=PASSWORD)
    data = (",".join(ACCOUNT_HEADER) + "\n").encode() + b"2025-01-02,90000001,\x81\x30\xff\n"
    response = client.post("/clients/imports/", {"kind": "accounts", "encoding": "gb18030",
                                                 "file": SimpleUploadedFile("bad.csv", data)}, follow=True)
    assert response.status_code == 200
    assert "Line 2: the file is not valid GB18030 text; give its encoding explicitly." in response.content.decode()
    assert ImportBatch.objects.get().status == "rejected"


# -- trading days out of range -------------------------------------------------------------------------------

@pytest.mark.parametrize("line_check", ["sql", "python"])
def test_trading_days_in_the_future_or_before_1990_are_rejected(settings, write_csv, line_check):
    settings.IMPORT_LINE_CHECK = line_check
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    rows = [account_row("1", trade_date="9999-12-31"), account_row("2", trade_date=tomorrow.strftime("%Y%m%d")),
            account_row("3", trade_date="1989-12-29"), account_row("4", trade_date=today.isoformat()),
            account_row("5", trade_date="1990-01-02")]
    batch = import_run(kind="accounts", path=write_csv("accounts", rows), partial=True)
    assert batch.report["errors"] == [
        {"line": 2, "column": "trade_date",
         "reason": f"“9999-12-31” is after today ({today}): a trading day cannot be in the future",
         "reason_code": "row.future_day", "reason_params": {"v": "9999-12-31", "today": today.isoformat()}},
        {"line": 3, "column": "trade_date",
         "reason": f"“{tomorrow:%Y%m%d}” is after today ({today}): a trading day cannot be in the future",
         "reason_code": "row.future_day", "reason_params": {"v": f"{tomorrow:%Y%m%d}", "today": today.isoformat()}},
        {"line": 4, "column": "trade_date",
         "reason": "“1989-12-29” is before 1990-01-01, the earliest trading day accepted",
         "reason_code": "row.too_early", "reason_params": {"v": "1989-12-29", "first": "1990-01-01"}}]
    assert sorted(AccountSettlement.objects.values_list("client__account_id", flat=True)) == ["4", "5"]
    assert (str(batch.date_from), str(batch.date_to)) == ("1990-01-02", today.isoformat())
    from segmentation.engine import latest_trade_date

    assert latest_trade_date() == today


def test_a_future_trading_day_in_json_rows_and_contracts_is_rejected(api, staff):
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "contracts", "rows": [
        contract_row(trade_date="2999-01-04")]}, format="json")
    assert response.status_code == 422
    assert response.json()["report"]["errors"][0]["column"] == "trade_date"
    assert ContractSettlement.objects.count() == 0


def test_other_dates_keep_their_range(write_csv, branches):
    """Only the trading day is bounded: an account opened in 1985 is history, not a typing error."""
    batch = import_run(kind="clients", path=write_csv("clients", [client_row(open_date="1985-06-01")]))
    assert batch.status == "imported", batch.report


# -- names a spreadsheet would take for a formula ------------------------------------------------------------

@pytest.mark.parametrize("line_check", ["sql", "python"])
def test_names_beginning_with_formula_characters_import_as_names(settings, write_csv, branches, line_check):
    settings.IMPORT_LINE_CHECK = line_check
    names = {"1": "=张三", "2": "@Tom Lee", "3": "+86 实业", "4": "-", "5": "=SUM(A1:A9)", "6": "@@"}
    rows = [client_row(account, name=name, client_type="institution", id_type="other", id_number=f"X{account}")
            for account, name in names.items()]
    batch = import_run(kind="clients", path=write_csv("clients", rows))
    assert (batch.status, batch.rows_written) == ("imported", 6), batch.report
    stored = {c.account_id: (c.name, c.name_pinyin, c.name_initials) for c in Client.objects.all()}
    assert stored == {"1": ("=张三", "zhangsan", "zs"), "2": ("@Tom Lee", "tomlee", "tl"),
                      "3": ("+86 实业", "86shiye", "8sy"), "4": ("-", "", ""), "5": ("=SUM(A1:A9)", "suma1a9", "saa"),
                      "6": ("@@", "", "")}
    assert {c.pk for c in Client.objects.search("zhangsan")} == {Client.objects.get(account_id="1").pk}


def test_pinyin_keys_take_letters_and_digits_only():
    assert pinyin_keys("=张三") == pinyin_keys("张三") == ("zhangsan", "zs")
    assert pinyin_keys("Tom Lee") == pinyin_keys("@Tom Lee") == ("tomlee", "tl")
    assert pinyin_keys("曾伟", person=True) == ("zengwei", "zw")
    assert pinyin_keys("---") == ("", "")


def test_nothing_of_a_rejected_clients_file_is_left_behind(write_csv, branches):
    batch = import_run(kind="clients", path=write_csv("clients", [client_row("1", name="=A"),
                                                                  client_row("2", open_date="x")]))
    assert batch.status == "rejected"
    assert not Client.objects.exists()
    assert list(QuarantinedRow.objects.values_list("line", "status")) == [(3, "rejected_file")]


# -- NUL bytes: valid UTF-8, refused by PostgreSQL text --------------------------------------------------------

@pytest.mark.parametrize("line_check", ["sql", "python"])
def test_a_nul_byte_in_a_cell_is_a_row_error_not_a_failure(settings, tmp_path, line_check):
    settings.IMPORT_LINE_CHECK = line_check
    rows = [account_row("9000\x000001"), account_row("90000002", deposit="5\x00"), account_row("90000003")]
    path = tmp_path / "accounts.csv"
    path.write_text(_text(list(ACCOUNT_HEADER) + ["备\x00注"], [{**r, "备\x00注": "x\x00"} for r in rows]))
    batch = import_run(kind="accounts", path=path, partial=True)
    assert (batch.status, batch.rows_written) == ("partial", 1), batch.report
    assert batch.report["errors"] == [
        {"line": 2, "column": "account_id", "reason": "contains a NUL character (byte 0)", "reason_code": "row.nul",
         "reason_params": {}},
        {"line": 3, "column": "deposit", "reason": "“5\ufffd” is not a decimal amount",
         "reason_code": "row.not_decimal", "reason_params": {"v": "5\ufffd"}}]
    assert batch.quarantined_rows.get(line=2).raw["account_id"] == "9000\ufffd0001"  # jsonb holds no NUL
    assert "Unknown column(s) ignored: 备\ufffd注" in batch.warning_texts


def test_a_nul_byte_in_json_rows_is_a_422(api, staff):
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "clients", "rows": [
        client_row(name="张\x00三")]}, format="json")
    assert response.status_code == 422
    assert response.json()["report"]["errors"] == [
        {"line": 1, "column": "name", "reason": "contains a NUL character (byte 0)", "reason_code": "row.nul",
         "reason_params": {}}]
