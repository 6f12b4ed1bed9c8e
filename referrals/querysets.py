"""Row-level scope of relationship records, built on the client rule (clients.querysets)."""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from clients.querysets import NOTHING, client_scope_q
from futures_crm.roles import user_role

from .access import INTERMEDIARY_FIRM_WIDE, INTERMEDIARY_READERS


class IntermediaryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Compliance and head office see every intermediary; a manager only those who brought their clients."""
        role = user_role(user)
        if role in INTERMEDIARY_FIRM_WIDE:
            return self
        if role not in INTERMEDIARY_READERS:
            return self.filter(NOTHING)
        from .models import IntermediaryLink

        links = IntermediaryLink.objects.filter(intermediary=OuterRef("pk")).filter(client_scope_q(user, "client__"))
        return self.filter(Exists(links))


class IntermediaryChildQuerySet(models.QuerySet):
    """Training records and declared relatives: visible with their intermediary."""

    def visible_to(self, user):
        from .models import Intermediary

        return self.filter(intermediary__in=Intermediary.objects.visible_to(user).values("pk"))


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A referral is visible to whoever sees the referring or the referred client, and to the referring staff."""
        if user_role(user) is None:
            return self.filter(NOTHING)
        if client_scope_q(user) == Q():
            # Firm-wide roles also see staff-referred prospects, which have no client on either side.
            return self
        return self.filter(
            client_scope_q(user, "referrer_client__") & Q(referrer_client__isnull=False)
            | client_scope_q(user, "referred_client__") & Q(referred_client__isnull=False)
            | Q(referrer_staff=user)
        )


def reached_q(status) -> Q:
    """Referrals that reached `status` in the funnel (the conversion page counts them, the list filters them)."""
    from .choices import ReferralStatus

    return {
        ReferralStatus.REFERRED: Q(),
        ReferralStatus.CONTACTED: Q(contacted_on__isnull=False),
        ReferralStatus.OPENED: Q(opened_on__isnull=False),
        ReferralStatus.FUNDED: Q(status=ReferralStatus.FUNDED),
    }[status]


def link_open_q(day, prefix: str = "") -> Q:
    """Intermediary links open on `day` (begun by it, not ended by it): `prefix` is the path to the link."""
    return (Q(**{f"{prefix}valid_from__lte": day})
            & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})))
