"""A reason the system gives in the audit trail is a code, read in the reader's language; a typed one as typed."""

import datetime

import pytest
from django.test import Client as Browser
from django.utils import timezone

from clients import services
from futures_crm.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_audit_reason_of_a_suitability_assessment_reads_in_the_readers_language(staff, book):
    today = timezone.localdate()
    services.suitability_record(client=book["zhang"], by=staff["am1"], investor_class="professional",
                                risk_level="C4", knowledge_score=92, assessed_on=today,
                                expires_on=today + datetime.timedelta(days=730))
    entry = AuditEntry.objects.get(action="client.update", client=book["zhang"])
    assert entry.reason_code == "audit.suitability_assessment"
    url = f"/clients/{book['zhang'].pk}/?tab=audit"
    for language, shown, hidden in [("zh-hans", "<td>适当性评估</td>", "suitability assessment"),
                                    ("en", "<td>suitability assessment</td>", "<td>适当性评估</td>")]:
        browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
        assert browser.login(username=staff["admin"].username, password=PASSWORD)
        html = browser.get(url).content.decode()
        audit = html.split('id="audit"', 1)[1]
        assert shown in audit and hidden not in audit, language
