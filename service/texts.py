"""The service desk's generated texts (futures_crm.texts): care task titles, grade reasons, notifications."""

from django.utils.translation import gettext_lazy as _

from futures_crm import texts

from .choices import CarePlanKind, Queue, ReturnVisitReason


def _occasion(params: dict) -> str:
    return str(CarePlanKind(params["kind"]).label)


def _assigned(params: dict) -> str:
    return f"{Queue(params['queue']).label} / {params.get('owner') or '—'}. {params.get('reason', '')}".strip()


def _return_visit(params: dict) -> str:
    return str(_("Return visit: %(reason)s") % {"reason": ReturnVisitReason(params["reason"]).label})


def _consent_labels(params: dict) -> dict:
    from privacy.choices import ConsentChannel, ConsentPurpose

    return {**params, "purpose": ConsentPurpose(params["purpose"]).label,
            "channel": ConsentChannel(params["channel"]).label}


def _no_consent(params: dict) -> str:
    return str(_("No %(purpose)s consent for %(channel)s") % _consent_labels(params))


def _prospect_no_consent(params: dict) -> str:
    from privacy.choices import ConsentChannel

    return str(_("A prospect has no consent on record for messages through %(channel)s")
               % {"channel": ConsentChannel(params["channel"]).label})


def _invited_no_consent(params: dict) -> str:
    first = texts.render("activity.invited_refused" if params.get("refused") else "activity.invited", params)
    return f"{first} " + str(_("%(no_consent)s left out: no %(purpose)s consent for %(channel)s.")
                             % _consent_labels(params))


def _escalated(params: dict) -> str:
    return ", ".join(params.get("notified") or []) or str(_("no branch manager found"))


texts.register({
    "task.care.birthday": _("Birthday on %(date)s"),
    # A holiday, margin-call or heavy-loss care task: titled by its care plan's occasion.
    "task.care.occasion": _occasion,
    "task.suitability_renewal": _("Suitability assessment expired: arrange a new one"),
    "task.suitability_expires": _("Suitability assessment expires on %(date)s: arrange a new one"),
    "task.return_visit": _return_visit,
    "prospect.first_grade": _("First grade"),
    "audit.prospect_conversion": _("prospect conversion"),
    # A ticket's timeline: who it went to (queue / person. reason), whom its escalation told.
    "ticket.assigned": _assigned,
    "ticket.escalated": _escalated,
    # An invitation's result: how many were invited, how many left out because a promoted product is above them.
    "activity.invited": _("%(invited)s invited."),
    "activity.invited_refused": _("%(invited)s invited; %(refused)s left out: the promoted product's risk level "
                                  "%(level)s is above their suitability level."),
    "activity.refusal": _("Product risk level %(level)s above the client's level %(client_level)s"),
    # A recipient left out of a channel's invitation: its newest consent for the channel and purpose is not given.
    "activity.no_consent": _no_consent,
    "activity.invited_no_consent": _invited_no_consent,
    # A prospect has neither a suitability assessment nor consent records (both belong to a client's account).
    "activity.prospect_refusal": _("Product risk level %(level)s: a prospect has no suitability assessment"),
    "activity.prospect_no_consent": _prospect_no_consent,
    "notification.ticket_overdue": _("Ticket #%(id)s “%(subject)s” is past its deadline (%(deadline)s)."),
})
