"""From the back office's clients file to relationship records: import, then the sync task."""

import datetime

import pytest

from clients.identity import id_card_with_check
from clients.imports.services import import_run
from clients.models import Client
from referrals.models import Intermediary, IntermediaryLink, Referral
from referrals.tasks import sync_imported_relationships

pytestmark = pytest.mark.django_db


def _row(account_id, n, **over):
    row = {"account_id": account_id, "name": "钱七", "client_type": "individual", "id_type": "id_card",
           "id_number": id_card_with_check(f"1101011985031{n:04d}"), "branch_code": "SH01", "open_date": "2024-03-01"}
    row.update(over)
    return row


def test_imported_codes_become_links_and_referrals(branches):
    ib = Intermediary.objects.create(code="J001", name="周居间")
    batch = import_run(kind="clients", rows=[
        _row("70000001", 1), _row("70000002", 2, intermediary_code="J001", referrer_account_id="70000001")])
    assert batch.status == "imported", batch.warnings
    assert sync_imported_relationships.apply().get() == {"links": 1, "referrals": 1}
    link = IntermediaryLink.objects.get(client__account_id="70000002")
    assert (link.intermediary, link.valid_from, link.source) == (ib, datetime.date(2024, 3, 1), "import")
    referral = Referral.objects.get()
    assert (referral.referrer_client.account_id, referral.referred_client.account_id) == ("70000001", "70000002")
    assert Client.objects.get(account_id="70000002").intermediary_code == "J001"
