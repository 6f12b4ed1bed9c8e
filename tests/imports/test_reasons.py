"""Why an import refuses a row or a file is stored as a code and parameters beside the English text, and read in
the reader's language: the batch page, the quarantine list and correction page, the rejected rows' CSV, the API."""

import csv
import importlib
import io
import re

import pytest
from django.apps import apps
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from clients.demo_settlement import ACCOUNT_HEADER
from clients.imports.services import import_run
from clients.models import ImportBatch, QuarantinedRow
from clients.texts import FILE_REASONS, ROW_REASONS
from futures_crm import texts
from tests.factories import PASSWORD

from .conftest import account_row, client_row, contract_row

pytestmark = pytest.mark.django_db

ENGLISH = ("is required", "is not a", "is not an", "must not be", "has more than", "is after today", "is before",
           "is greater than", "the line has", "is longer than", "contains a NUL", "is not one of", "No row was read")


def page(user, language):
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def in_language(entry, language) -> str:
    with translation.override(language):
        return texts.shown(entry, "reason")


def _accounts_file(tmp_path):
    """One row per way an account row goes wrong (line 2 is good), plus a line one cell too wide."""
    today = timezone.localdate()
    rows = {
        "row.required": account_row("2", trade_date=""),
        "row.not_date": account_row("3", trade_date="2025/01/02"),
        "row.not_real_date": account_row("4", trade_date="2025-02-30"),
        "row.future_day": account_row("5", trade_date=f"{today.year + 1}-01-02"),
        "row.too_early": account_row("6", trade_date="1989-12-29"),
        "row.too_many_decimals": account_row("7", deposit="1.005"),
        "row.not_decimal": account_row("8", deposit="abc"),
        "row.negative": account_row("9", margin="-1.00"),
        "row.too_long": account_row("1" * 33),
        "row.balance": account_row("10", balance="1.00"),
        "row.fee_over_commission": account_row("11", exchange_fee="40.00"),
    }
    lines = [",".join(ACCOUNT_HEADER), ",".join(account_row("1")[h] for h in ACCOUNT_HEADER)]
    lines += [",".join(row[h] for h in ACCOUNT_HEADER) for row in rows.values()]
    lines.append(",".join(account_row("12")[h] for h in ACCOUNT_HEADER) + ",extra")  # row.width
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [*rows, "row.width"]


def _codes(entries) -> list[str]:
    return [e["reason_code"] for e in entries]


def test_every_kind_of_bad_account_value_has_its_code_on_both_routes_and_reads_in_the_readers_language(
        tmp_path, staff, api, line_check):
    path, codes = _accounts_file(tmp_path)
    batch = import_run(kind="accounts", path=path, partial=True, by=staff["head"])
    assert (batch.status, batch.rows_written, batch.rows_rejected) == ("partial", 1, len(codes))
    assert _codes(batch.report["errors"]) == codes
    # Stored: the English text (what integrators read before the codes), the code and its parameters.
    entry = next(e for e in batch.report["errors"] if e["reason_code"] == "row.not_decimal")
    assert entry == {"line": 9, "column": "deposit", "reason": "“abc” is not a decimal amount",
                     "reason_code": "row.not_decimal", "reason_params": {"v": "abc"}}
    quarantined = list(QuarantinedRow.objects.filter(batch=batch).order_by("line"))
    assert [e["reason_code"] for q in quarantined for e in q.errors] == codes

    url = reverse("clients:import_detail", args=[batch.pk])
    zh = page(staff["head"], "zh-hans").get(url).content.decode()
    for error in batch.report["errors"]:
        assert escape(in_language(error, "zh-hans")) in zh, error
    assert "必填" in zh and "“abc”不是有效的金额" in zh and "“2025-02-30”不是有效的日历日期" in zh
    assert not [w for w in ENGLISH if w in zh]
    en = page(staff["head"], "en").get(url).content.decode()
    assert "“abc” is not a decimal amount" in en and "is required" in en and "不是有效的金额" not in en

    listed = page(staff["head"], "zh-hans").get(reverse("clients:quarantine_list")).content.decode()
    assert "deposit: “abc”不是有效的金额" in listed and "trade_date: 必填" in listed
    assert not [w for w in ENGLISH if w in listed]
    row = next(q for q in quarantined if q.errors[0]["reason_code"] == "row.not_real_date")
    fix = page(staff["head"], "zh-hans").get(reverse("clients:quarantine_fix", args=[row.pk])).content.decode()
    assert "“2025-02-30”不是有效的日历日期" in fix and "is not a real calendar date" not in fix
    fix = page(staff["head"], "en").get(reverse("clients:quarantine_fix", args=[row.pk])).content.decode()
    assert "“2025-02-30” is not a real calendar date" in fix

    rest = api(staff["backoffice"])
    body = rest.get(f"/api/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert _codes(body["report"]["errors"]) == codes
    shown = next(e for e in body["report"]["errors"] if e["reason_code"] == "row.not_decimal")
    assert shown == {**entry, "reason": "“abc”不是有效的金额"}
    body = rest.get("/api/quarantine/", {"batch": batch.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [e["reason_code"] for r in body["results"] for e in r["errors"]] == codes
    assert {"column": "trade_date", "reason": "必填", "reason_code": "row.required", "reason_params": {}}.items() \
        <= body["results"][0]["errors"][0].items()
    body = rest.get("/api/quarantine/", {"batch": batch.pk}).json()  # no Accept-Language: English
    assert body["results"][0]["errors"][0]["reason"] == "is required"


def test_every_kind_of_bad_contract_and_client_value_has_its_code(write_csv, staff, line_check, branches):
    batch = import_run(kind="contracts", partial=True, path=write_csv("contracts", [
        contract_row("1", buy_lots="1.5"), contract_row("2", hedge_flag="xyz"),
        contract_row("3", instrument="螺纹钢")]))
    assert _codes(batch.report["errors"]) == ["row.not_lots", "row.not_choice", "row.not_instrument"]
    assert batch.report["errors"][1]["reason_params"]["v"] == "xyz"

    batch = import_run(kind="clients", partial=True, path=write_csv("clients", [
        client_row("1", id_number="110101198503151230"),
        client_row("2", client_type="institution", id_type="business_license", id_number="91310000X"),
        {**client_row("3"), "close_date": "2024-01-01"},
        {**client_row("4"), "phone": "abc"},
        {**client_row("5"), "email": "x@"},
        client_row("6", name="张\x00三"),
    ]))
    assert _codes(batch.report["errors"]) == ["row.not_id_card", "row.not_uscc", "row.close_before_open",
                                              "row.not_phone", "row.not_email", "row.nul"]
    with translation.override("zh-hans"):
        assert [e["reason"] for e in batch.errors][2:] == [
            "销户日期 2024-01-01 早于开户日期 2024-03-01", "“abc”不是电话号码", "“x@”不是电子邮件地址",
            "含有 NUL 字符（字节 0）"]
        assert batch.errors[0]["reason"] == "不是有效的居民身份证号码（应为 18 位，末位校验码正确）"


def test_the_rejected_rows_csv_gives_the_reasons_in_the_downloaders_language(write_csv, staff):
    batch = import_run(kind="accounts", partial=True, path=write_csv("accounts", [
        account_row("1"), account_row("2", commission="abc")]))
    url = reverse("clients:import_rejected_csv", args=[batch.pk])

    def rows(language):
        response = page(staff["head"], language).get(url)
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")
                                           if response.streaming else response.content.decode("utf-8-sig"))))

    zh, en = rows("zh-hans"), rows("en")
    assert zh[0][:3] == en[0][:3] == ["line", "reasons", "trade_date"]  # column names, to import it again
    assert zh[1][:2] == ["3", "commission: “abc”不是有效的金额"]
    assert en[1][:2] == ["3", "commission: “abc” is not a decimal amount"]


def test_a_refused_file_reads_in_the_readers_language(write_csv, staff, api):
    header = [h for h in ACCOUNT_HEADER if h != "equity"]
    batch = import_run(kind="accounts", path=write_csv(header, [[account_row()[h] for h in header]]))
    assert batch.status == "rejected"
    report = batch.report
    assert report["file_error"] == "Missing required column(s): equity (客户权益). No row was read."
    assert (report["file_error_code"], report["file_error_params"]) == ("file.missing_columns",
                                                                        {"cols": "equity (客户权益)"})
    assert report["message"]["code"] == "file.missing_columns"
    zh = page(staff["head"], "zh-hans").get(reverse("clients:import_detail", args=[batch.pk])).content.decode()
    missing = "缺少必需列：equity (客户权益)。未读取任何数据行。"
    assert missing in zh and "No row was read" not in zh
    body = api(staff["backoffice"]).get(f"/api/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["report"]["file_error"] == body["report"]["message"] == missing
    assert (body["report"]["file_error_code"], body["report"]["message_code"]) == ("file.missing_columns",) * 2
    assert body["report"]["file_error_params"] == {"cols": "equity (客户权益)"}


def test_an_upload_refused_as_it_comes_in_has_its_code(api, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("accounts.csv", "交易日\n".encode("gb18030") + b"\xff\xfe\n")
    response = api(staff["backoffice"]).post("/api/imports/", {"kind": "accounts", "file": upload,
                                                               "encoding": "utf-8"},
                                             format="multipart", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    report = response.json()["report"]
    assert (report["file_error_code"], report["file_error_params"]) == ("file.not_text", {"line": 1, "enc": "UTF-8"})
    assert report["file_error"] == report["message"] == "第 1 行：文件不是有效的 UTF-8 文本，请明确指定编码。"
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert batch.report["file_error"] == "Line 1: the file is not valid UTF-8 text; give its encoding explicitly."


def test_a_rerun_that_fails_on_its_file_keeps_the_reason_as_a_code(staff, write_csv):
    from clients.imports.services import quarantine_rerun

    batch = import_run(kind="accounts", partial=True, path=write_csv("accounts", [
        account_row("1"), account_row("2", commission="abc")]))
    row = batch.quarantined_rows.get()
    with translation.override("zh-hans"):  # a Chinese request: what is stored is still English plus the code
        quarantine_rerun(row=row, raw={"account_id": "2"}, by=staff["head"])
    row.refresh_from_db()
    assert row.errors == [{"line": 3, "column": "", "reason": row.errors[0]["reason"], "reason_code":
                           "file.missing_columns", "reason_params": row.errors[0]["reason_params"]}]
    assert row.errors[0]["reason"].startswith("Missing required column(s): trade_date (交易日)")
    with translation.override("zh-hans"):
        assert row.reasons_text.startswith(": 缺少必需列：trade_date (交易日)")


def test_older_reasons_written_out_in_english_or_chinese_are_given_their_codes(write_csv):
    batch = import_run(kind="accounts", partial=True, path=write_csv("accounts", [
        account_row("1"), account_row("2", commission="abc"), account_row("3", trade_date="")]))
    old = [{"line": 3, "column": "commission", "reason": "“abc” is not a decimal amount"},
           {"line": 4, "column": "trade_date", "reason": "为必填项"},  # the Chinese of the time
           {"line": 5, "column": "", "reason": "something nobody coded"}]
    refused = import_run(kind="accounts", path=write_csv(["trade_date"], [["2025-01-02"]]))
    file_error = refused.report["file_error"]
    ImportBatch.objects.filter(pk=batch.pk).update(report={**batch.report, "errors": old})
    ImportBatch.objects.filter(pk=refused.pk).update(report={"message": file_error, "file_error": file_error,
                                                             "errors": []})
    QuarantinedRow.objects.filter(batch=batch, line=3).update(errors=old[:1])
    QuarantinedRow.objects.filter(batch=batch, line=4).update(errors=[
        {"line": 4, "column": "trade_date", "reason": "“x”不是十进制金额"}])

    importlib.import_module("clients.migrations.0010_import_reasons_from_older_rows").forward(apps, None)

    batch.refresh_from_db()
    assert [(e["reason_code"], e["reason_params"]) if "reason_code" in e else e["reason"]
            for e in batch.report["errors"]] == [("row.not_decimal", {"v": "abc"}), ("row.required", {}),
                                                 "something nobody coded"]
    assert [q.errors[0]["reason_code"] for q in batch.quarantined_rows.order_by("line")] == [
        "row.not_decimal", "row.not_decimal"]
    refused.refresh_from_db()
    assert refused.report["file_error_code"] == refused.report["message"]["code"] == "file.missing_columns"
    with translation.override("zh-hans"):
        assert [e["reason"] for e in batch.errors] == ["“abc”不是有效的金额", "必填", "something nobody coded"]
        assert refused.message.startswith("缺少必需列：")
        assert refused.file_error == refused.message


def test_every_reason_code_reads_in_chinese():
    """Each code renders in Chinese with its parameters (no msgid left untranslated)."""
    with translation.override("zh-hans"):
        for code, template in {**ROW_REASONS, **FILE_REASONS}.items():
            params = {name: "x" for name in re.findall(r"%\((\w+)\)s", str(template))}
            rendered = texts.render(code, params)
            assert not [w for w in ENGLISH if w in rendered], (code, rendered)
            assert re.search(r"[\u4e00-\u9fff]", rendered), (code, rendered)
