"""The service desk's generated texts (futures_crm.texts): care task titles, grade reasons, notifications."""

from django.utils.translation import gettext_lazy as _

from futures_crm import texts

from .choices import CarePlanKind


def _occasion(params: dict) -> str:
    return str(CarePlanKind(params["kind"]).label)


texts.register({
    "task.care.birthday": _("Birthday on %(date)s"),
    # A holiday, margin-call or heavy-loss care task: titled by its care plan's occasion.
    "task.care.occasion": _occasion,
    "task.suitability_renewal": _("Suitability assessment expired: arrange a new one"),
    "prospect.first_grade": _("First grade"),
    "notification.ticket_overdue": _("Ticket #%(id)s “%(subject)s” is past its deadline (%(deadline)s)."),
})
