"""The default policy of segmentation-rules.md: every threshold and weight a manager may edit.

Window lengths (20/60/250 trading days…) are part of the rules' definitions, not of the policy:
the nightly engine keeps rolling sums over them (see engine.py).
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# key: (default, label). Decimals are kept as strings in the JSON of a policy version.
DEFAULTS: dict[str, tuple[Decimal, str]] = {
    "hedge_lots_share": (Decimal("0.50"), _("Hedger: share of hedge lots over 250 days (≥)")),
    "fund_large": (Decimal("5000000"), _("Fund size large: average equity 20 days (≥ CNY)")),
    "fund_medium": (Decimal("500000"), _("Fund size medium: average equity 20 days (≥ CNY)")),
    "active_traded_share": (Decimal("0.50"), _("Active: share of the 60 days traded (≥)")),
    "active_flat_share": (Decimal("0.80"), _("Active: share of traded days that were flat (≥)")),
    "active_lots_per_day": (Decimal("50"), _("Active: lots per traded day (≥)")),
    "key_traded_share": (Decimal("0.20"), _("Key service: share of the 60 days traded (≥)")),
    "key_loss_share": (Decimal("-0.20"), _("Key service: net P&L 60 days vs average equity 60 (≤)")),
    "tenure_new_days": (Decimal("365"), _("Tenure new: opened less than this many days ago")),
    "outflow_share": (Decimal("0.50"), _("Equity outflow: net withdrawals vs equity 20 days ago (≥)")),
    "volume_drop_share": (Decimal("0.30"), _("Volume drop: lots 20 days vs previous average (≤)")),
    "heavy_loss_share": (Decimal("-0.30"), _("Heavy loss: net P&L 20 days vs equity 20 days ago (≤)")),
    "w_equity_outflow": (Decimal("40"), _("Weight: equity outflow")),
    "w_volume_drop": (Decimal("25"), _("Weight: volume drop")),
    "w_heavy_loss": (Decimal("20"), _("Weight: heavy loss")),
    "w_complaint_overdue": (Decimal("20"), _("Weight: overdue complaint")),
    "w_orphaned": (Decimal("25"), _("Weight: orphaned")),
    "w_turned_dormant": (Decimal("15"), _("Weight: turned dormant")),
    "score_cap": (Decimal("100"), _("Churn score cap")),
    "retention_score": (Decimal("50"), _("Retention task at churn score (≥)")),
    "churn_equity": (Decimal("1000"), _("Churned: equity below (CNY)")),
    "ltv_retire_age": (Decimal("60"), _("Lifetime value: retirement age")),
    "ltv_default_years": (Decimal("10"), _("Lifetime value: years when age is unknown")),
    "loyal_tenure_years": (Decimal("3"), _("Loyalty: tenure of at least (years)")),
    "loyal_satisfaction": (Decimal("9"), _("Loyalty: satisfaction of at least (out of 10)")),
    "loyal_points": (Decimal("3"), _("Loyal at this many points (≥)")),
    "task_due_days": (Decimal("3"), _("Tasks are due this many days after the run")),
    "retention_cooldown_days": (Decimal("30"), _("No new retention task within this many days of the last")),
}


def default_params() -> dict[str, str]:
    return {key: str(value) for key, (value, _label) in DEFAULTS.items()}
