"""Relationship reads other apps use (the nightly churn signal reads orphaned clients)."""

from django.db.models import Exists, OuterRef, Q

from clients.models import Client

from .choices import IntermediaryStatus
from .models import IntermediaryLink


def orphaned_clients():
    """Clients whose manager, or whose current intermediary while they have no manager, is no longer active.

    A client that never had either is not orphaned: it belongs on the unassigned worklist.
    """
    lost_intermediary = IntermediaryLink.objects.filter(
        client=OuterRef("pk"), valid_to__isnull=True
    ).exclude(intermediary__status=IntermediaryStatus.ACTIVE)
    return Client.objects.filter(
        Q(account_manager__isnull=False, account_manager__staff_profile__is_active=False)
        | Q(account_manager__isnull=True) & Exists(lost_intermediary)
    )
