"""A batch's outcome and warnings are stored as codes and read in the reader's language (page and API)."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from clients.imports.services import import_run
from tests.factories import PASSWORD

from .conftest import account_row, contract_row

pytestmark = pytest.mark.django_db


def page(user, language):
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def test_batch_message_and_cross_check_warnings_read_in_the_readers_language(write_csv, staff, api, branches):
    import_run(kind="accounts", path=write_csv("accounts", [account_row(commission="30.00")]))
    batch = import_run(kind="contracts", by=staff["head"], path=write_csv("contracts", [
        {**contract_row(commission="20.00"), "备注": "x"}]))
    assert batch.status == "imported"
    assert batch.report["message"]["code"] == "import.imported"
    assert {w["code"] for w in batch.warnings} == {"import.unknown_columns", "import.settlement_mismatch"}

    url = reverse("clients:import_detail", args=[batch.pk])
    zh = page(staff["head"], "zh-hans").get(url).content.decode()
    assert "已导入。" in zh and "已忽略未知列：备注" in zh and "合约行合计手续费 20.00" in zh
    assert "Imported." not in zh and "contract rows add up" not in zh and "Unknown column" not in zh
    en = page(staff["head"], "en").get(url).content.decode()
    assert "Imported." in en and "Unknown column(s) ignored: 备注" in en
    assert "contract rows add up to commission 20.00" in en
    # "By": the person's name, not the user name.
    about = zh.split('id="report-status"', 1)[1].split("</dl>", 1)[0]
    assert staff["head"].staff_profile.display_name in about and "head_u" not in about

    rest = api(staff["backoffice"])
    body = rest.get(f"/api/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (body["report"]["message"], body["report"]["message_code"]) == ("已导入。", "import.imported")
    assert "已忽略未知列：备注" in body["warnings"]
    codes = {w["code"]: w["params"] for w in body["warning_codes"]}
    assert codes["import.unknown_columns"] == {"cols": "备注"}
    assert codes["import.settlement_mismatch"]["kc"] == "20.00"
    body = rest.get(f"/api/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["report"]["message"] == "Imported." and "Unknown column(s) ignored: 备注" in body["warnings"]


def test_a_partial_batch_message_counts_its_rows_in_either_language(write_csv, staff):
    batch = import_run(kind="accounts", partial=True, path=write_csv("accounts", [
        account_row(account_id="1"), account_row(account_id="2", commission="abc")]))
    assert (batch.report["message"]["code"], batch.report["message"]["params"]) == ("import.partial", {"n": 1})
    url = reverse("clients:import_detail", args=[batch.pk])
    zh = page(staff["head"], "zh-hans").get(url).content.decode()
    assert "1 行未通过校验，已放入隔离区" in zh and "failed the checks" not in zh
    en = page(staff["head"], "en").get(url).content.decode()
    assert "1 row(s) failed the checks and were quarantined" in en


def test_older_batches_written_out_in_english_are_given_their_codes(write_csv):
    import importlib

    from django.apps import apps

    from clients.models import ImportBatch

    batch = import_run(kind="accounts", path=write_csv("accounts", [account_row()]))
    ImportBatch.objects.filter(pk=batch.pk).update(
        report={**batch.report, "message": "Imported."},
        warnings=["Unknown column(s) ignored: 备注", "已忽略未知列：x", "something a person wrote"])
    importlib.import_module("clients.migrations.0008_import_texts_from_older_rows").forward(apps, None)
    batch.refresh_from_db()
    assert batch.report["message"]["code"] == "import.imported"
    assert [w if isinstance(w, str) else (w["code"], w["params"]) for w in batch.warnings] == [
        ("import.unknown_columns", {"cols": "备注"}), ("import.unknown_columns", {"cols": "x"}),
        "something a person wrote"]
    from django.utils import translation

    with translation.override("zh-hans"):
        assert batch.warning_texts == ["已忽略未知列：备注", "已忽略未知列：x", "something a person wrote"]
