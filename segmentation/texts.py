"""The nightly pipeline's generated texts (futures_crm.texts): the titles of the tasks it opens."""

from django.utils.translation import gettext_lazy as _

from futures_crm import texts

texts.register({
    "task.retention": _("Retention: churn risk score %(score)s"),
    "task.reactivation": _("Reactivation: no trading in the last 60 trading days"),
    "task.hedging_plan": _("Hedging plan for a new hedger"),
})
