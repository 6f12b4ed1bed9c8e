"""From the back office's clients file to relationship records, in the import's own transaction."""

import datetime

import pytest
from django.core.management import call_command

from clients.identity import id_card_with_check
from clients.imports.services import import_drop_folder, import_run
from clients.models import Client
from futures_crm.models import AuditEntry
from referrals.models import Intermediary, IntermediaryLink, Referral

pytestmark = pytest.mark.django_db


def _row(account_id, n, **over):
    row = {"account_id": account_id, "name": "钱七", "client_type": "individual", "id_type": "id_card",
           "id_number": id_card_with_check(f"1101011985031{n:04d}"), "branch_code": "SH01", "open_date": "2024-03-01"}
    row.update(over)
    return row


def _csv(path, rows):
    header = list(dict.fromkeys(k for r in rows for k in r))
    path.write_text("\n".join([",".join(header)] + [",".join(r.get(h, "") for h in header) for r in rows]) + "\n",
                    encoding="utf-8")
    return path


def test_imported_codes_become_links_and_referrals(branches):
    ib = Intermediary.objects.create(code="J001", name="周居间")
    batch = import_run(kind="clients", rows=[
        _row("70000001", 1), _row("70000002", 2, intermediary_code="J001", referrer_account_id="70000001")])
    assert batch.status == "imported", batch.warning_texts
    # No poll: the link and the referral are there as soon as the import returns.
    link = IntermediaryLink.objects.get(client__account_id="70000002")
    assert (link.intermediary, link.valid_from, link.source) == (ib, datetime.date(2024, 3, 1), "import")
    assert AuditEntry.objects.filter(action="intermediary.link", client=link.client).count() == 1
    referral = Referral.objects.get()
    assert (referral.referrer_client.account_id, referral.referred_client.account_id) == ("70000001", "70000002")
    assert (referral.status, referral.opened_on) == ("opened", datetime.date(2024, 3, 1))
    assert Client.objects.get(account_id="70000002").intermediary_code == "J001"


def test_a_file_changing_the_intermediary_closes_the_old_link(branches):
    Intermediary.objects.create(code="J001", name="周居间")
    Intermediary.objects.create(code="J002", name="吴居间")
    import_run(kind="clients", rows=[_row("70000001", 1, intermediary_code="J001")])
    import_run(kind="clients", rows=[_row("70000001", 1, intermediary_code="J002", name="钱七七")])
    history = list(IntermediaryLink.objects.order_by("valid_from", "id").values_list("intermediary__code", "valid_to"))
    assert [code for code, _to in history] == ["J001", "J002"]
    assert history[0][1] is not None and history[1][1] is None


def test_a_rejected_file_creates_no_link_and_no_referral(branches):
    Intermediary.objects.create(code="J001", name="周居间")
    batch = import_run(kind="clients", rows=[
        _row("70000001", 1), _row("70000002", 2, intermediary_code="J001", referrer_account_id="70000001"),
        _row("70000003", 3, open_date="not a date")])
    assert batch.status == "rejected"
    assert not Client.objects.exists()
    assert not IntermediaryLink.objects.exists() and not Referral.objects.exists()


def test_a_partial_file_links_only_the_rows_it_wrote(branches):
    Intermediary.objects.create(code="J001", name="周居间")
    batch = import_run(kind="clients", partial=True, rows=[
        _row("70000001", 1), _row("70000002", 2, intermediary_code="J001", referrer_account_id="70000001"),
        _row("70000003", 3, intermediary_code="J001", referrer_account_id="70000001", open_date="not a date")])
    assert batch.status == "partial"
    assert list(IntermediaryLink.objects.values_list("client__account_id", flat=True)) == ["70000002"]
    assert list(Referral.objects.values_list("referred_client__account_id", flat=True)) == ["70000002"]


def test_the_command_and_the_drop_folder_create_them_too(branches, tmp_path):
    Intermediary.objects.create(code="J001", name="周居间")
    call_command("import_data", "clients", str(_csv(tmp_path / "a.csv", [
        _row("70000001", 1), _row("70000002", 2, intermediary_code="J001", referrer_account_id="70000001")])))
    assert IntermediaryLink.objects.count() == 1 and Referral.objects.count() == 1
    drop = tmp_path / "drop"
    drop.mkdir()
    _csv(drop / "clients_20250102.csv", [_row("70000003", 3, intermediary_code="J001", referrer_account_id="70000002")])
    assert [b.status for b in import_drop_folder(drop)] == ["imported"]
    assert sorted(IntermediaryLink.objects.values_list("client__account_id", flat=True)) == ["70000002", "70000003"]
    assert sorted(Referral.objects.values_list("referrer_client__account_id", "referred_client__account_id")) == [
        ("70000001", "70000002"), ("70000002", "70000003")]
