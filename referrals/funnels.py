"""The referral funnel: how far the referrals a user sees got (referred → contacted → account opened → funded),
for the referrals made in a date range, in total and per month; each row with its own date range, so a figure
links to the referral list filtered alike (ReferralFilterSet: referred_from, referred_to, reached)."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from futures_crm.periods import months_between

from .choices import REFERRAL_FLOW
from .models import Referral
from .querysets import reached_q


def referral_funnel(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """Rows (the total, then each month from `start` to `end`): `label`, `dates` (from, to) and per stage of
    REFERRAL_FLOW how many of the referrals made in those dates reached it."""
    referrals = Referral.objects.visible_to(user).filter(referred_on__range=(start, end)).order_by()
    counts = {stage.value: Count("pk", filter=reached_q(stage)) for stage in REFERRAL_FLOW}
    by_month = {r.pop("m"): r for r in referrals.annotate(m=TruncMonth("referred_on")).values("m").annotate(**counts)}
    empty = dict.fromkeys(counts, 0)
    return ([{"label": _("Total"), "dates": (start, end), **referrals.aggregate(**counts)}]
            + [{"label": first.strftime("%Y-%m"), "dates": (first, last), **by_month.get(first.replace(day=1), empty)}
               for first, last in months_between(start, end)])
