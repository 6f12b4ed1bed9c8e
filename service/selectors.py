"""Service-desk reads: the screen-pop card, "my day", campaign targeting, overdue complaints.

Other apps use `overdue_complaint_client_ids` (the nightly churn signal reads it), and add sections to
"my day" through `register_my_day_section` (segmentation: the clients at high churn risk).
"""

import calendar
import datetime
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.access_log import personal_data_shown
from clients.filtersets import ClientFilterSet
from clients.identity import mask_id_number, mask_phone, normalise_phone
from clients.models import Client, ContactLog, SettlementAlert
from clients.selectors import sees_personal_data
from futures_crm import people
from futures_crm.roles import Role, user_role

from .choices import OPEN_TICKET_STATUSES, CarePlanKind, Queue, TaskStatus, TicketStatus, TicketType
from .models import Prospect, Task, Ticket

# name → function of the person's own clients (a Client queryset) giving the rows "my day" lists under that
# name; filled by apps above service from their AppConfig.ready().
MY_DAY_SECTIONS: dict[str, Callable] = {}


def register_my_day_section(name: str, rows: Callable) -> None:
    MY_DAY_SECTIONS[name] = rows


def overdue_complaint_client_ids(*, at):
    """Ids of clients with an open complaint whose deadline is before `at`."""
    return (
        Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, status__in=OPEN_TICKET_STATUSES, deadline__lt=at,
                              client__isnull=False)
        .values_list("client_id", flat=True)
        .distinct()
    )


def visible_client(*, user, account_id: str) -> Client:
    """The client with this fund account if `user` may see it; otherwise a validation error on `account_id`."""
    client = Client.objects.visible_to(user).filter(account_id=account_id or "").first()
    if client is None:
        raise ValidationError({"account_id": _("No client with this fund account.")})
    return client


def settlement_alerts(*, client_ids=None, clients_q=None, since: datetime.date, limit: int | None = 50) -> list[dict]:
    """Open margin-call and negative-equity alerts from the import, newest first (`limit` None: all of them)."""
    qs = SettlementAlert.objects.filter(trade_date__gte=since, acknowledged_at__isnull=True)
    qs = qs.filter(client_id__in=client_ids) if client_ids is not None else qs.filter(clients_q)
    return [{"client": a.client, "trade_date": a.trade_date, "kind": a.kind, "amount": a.amount}
            for a in qs.select_related("client").order_by("-trade_date")[:limit]]


def birthday_q(day: datetime.date) -> Q:
    """Clients whose birthday falls on `day`; 29 February birthdays fall on the 28th in common years."""
    q = Q(birthday__month=day.month, birthday__day=day.day)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        q |= Q(birthday__month=2, birthday__day=29)
    return q


def birthdays_between(clients, start: datetime.date, days: int):
    """Clients whose birthday falls in the `days` days from `start`, soonest first."""
    dates = [start + datetime.timedelta(days=i) for i in range(days)]
    q = Q(pk__in=[])
    for d in dates:
        q |= birthday_q(d)
    found = list(clients.filter(q).only("id", "name", "account_id", "birthday", "phone"))
    for c in found:
        c.next_birthday = next(d for d in dates if (d.month, d.day) == (c.birthday.month, c.birthday.day)
                               or ((c.birthday.month, c.birthday.day) == (2, 29) and (d.month, d.day) == (2, 28)))
    return sorted(found, key=lambda c: c.next_birthday)


def my_day(*, user, today: datetime.date | None = None) -> dict:
    """Everything a person should look at today."""
    today = today or timezone.localdate()
    role = user_role(user)
    own_clients = Client.objects.filter(account_manager=user)
    if role == Role.BRANCH_MANAGER:
        own_clients = Client.objects.visible_to(user)
    tasks_due_by = today + datetime.timedelta(days=1)
    tasks = (Task.objects.filter(owner=user, status=TaskStatus.OPEN, due_on__lte=tasks_due_by)
             .select_related("client", "prospect"))
    ticket_q = Q(owner=user)
    if role == Role.SERVICE_AGENT:
        ticket_q |= Q(owner__isnull=True, queue=Queue.SERVICE_DESK)
    elif role == Role.COMPLIANCE:
        ticket_q |= Q(owner__isnull=True, queue=Queue.COMPLIANCE)
    tickets = (Ticket.objects.filter(ticket_q, status__in=[TicketStatus.NEW, TicketStatus.IN_PROGRESS,
                                                           TicketStatus.WAITING])
               .select_related("client").order_by("deadline")[:50])
    own_filter = Q(client__account_manager=user)
    if role == Role.BRANCH_MANAGER:
        own_filter = Q(client__branch_id=user.staff_profile.branch_id)
    return {
        "today": today,
        "tasks": list(tasks),
        "tasks_due_by": tasks_due_by,  # the task list's `due_before` for the same tasks
        "birthdays": birthdays_between(own_clients.filter(status="active"), today, 7),
        "tickets": list(tickets),
        **{name: list(rows(own_clients)) for name, rows in MY_DAY_SECTIONS.items()},
        "alerts": settlement_alerts(clients_q=own_filter, since=today - datetime.timedelta(days=5)),
        "now": timezone.now(),
    }


def lookup_shown(request, result: dict, *, via: str) -> None:
    """Log the clients a screen-pop showed unmasked (phone, birthday): one access-log insert per lookup."""
    if sees_personal_data(request.user):
        personal_data_shown(request, [c["id"] for c in result["clients"]], ("phone", "birthday"), via=via)


def lookup_phone(*, user, number: str) -> dict:
    """The screen-pop card for an incoming number: the client (masked for the desk) or the prospect, or nothing.

    Numbers are normalised (digits, no +86) and matched by indexed equality, never by a scan.
    """
    digits = normalise_phone(number)
    result = {"number": digits, "clients": [], "prospects": []}
    if len(digits) < 5:
        return result
    # Stored numbers should be normalised; the +86 spellings catch records typed in by hand.
    variants = [digits, f"+86{digits}", f"86{digits}", f"0086{digits}"]
    # Tickets and contacts come with the clients (one query each, whatever the number of accounts on the number).
    clients = list(
        Client.objects.visible_to(user).filter(Q(phone__in=variants) | Q(phone_alt__in=variants))
        .select_related("branch", "account_manager__staff_profile", "segment")
        .prefetch_related(
            Prefetch("tickets", Ticket.objects.filter(status__in=OPEN_TICKET_STATUSES).order_by("deadline")[:5],
                     to_attr="open_tickets"),
            Prefetch("contact_logs", ContactLog.objects.order_by("-contacted_at", "-id")[:3], to_attr="last_contacts"),
        )[:5]
    )
    personal = sees_personal_data(user)
    since = timezone.localdate() - datetime.timedelta(days=10)
    alerts: dict[int, list] = {}
    for a in settlement_alerts(client_ids=[c.pk for c in clients], since=since, limit=None) if clients else ():
        alerts.setdefault(a["client"].pk, []).append(a)
    for c in clients:
        segment = getattr(c, "segment", None)
        result["clients"].append({
            "id": c.pk,
            "account_id": c.account_id,
            "name": c.name,
            "status": c.status,
            "status_display": c.get_status_display(),
            "client_type": c.get_client_type_display(),
            "branch": str(c.branch),
            "manager": getattr(getattr(c.account_manager, "staff_profile", None), "display_name", ""),
            "manager_code": people.employee_code(c.account_manager),
            "phone": c.phone if personal else mask_phone(c.phone),
            "id_number": mask_id_number(c.id_number),
            "birthday": c.birthday if personal else None,
            "is_key": c.is_key,
            "segments": ({"purpose": segment.get_purpose_display(), "fund_size": segment.get_fund_size_display(),
                          "volume": segment.get_volume_display(), "tenure": segment.get_tenure_display()}
                         if segment else None),
            "churn_score": segment.churn_score if segment else None,
            "churn_signals": segment.churn_signals if segment else [],
            "as_of": segment.as_of if segment else None,  # the trading day the segments and churn are from
            "open_tickets": [
                {"id": t.pk, "subject": t.subject, "type": t.get_ticket_type_display(),
                 "status": t.get_status_display(), "deadline": t.deadline}
                for t in c.open_tickets
            ],
            "last_contacts": [
                {"at": log.contacted_at, "channel": log.get_channel_display(), "summary": log.summary}
                for log in c.last_contacts
            ],
            "alerts": [{"trade_date": a["trade_date"], "kind": a["kind"], "amount": a["amount"]}
                       for a in alerts.get(c.pk, [])[:3]],
        })
    if not clients:
        result["prospects"] = [
            {"id": p.pk, "name": p.name, "grade": p.grade, "owner": p.owner.get_username() if p.owner_id else "",
             "owner_name": people.label(p.owner, "")}
            for p in Prospect.objects.visible_to(user).filter(phone=digits, client__isnull=True)
            .select_related("owner__staff_profile")[:3]
        ]
    return result


def _filter_keys(filterset) -> set[str]:
    """The parameter names a FilterSet reads (a two-part widget reads one per part)."""
    keys = set()
    for name, field in filterset.form.fields.items():
        widget = field.widget
        if hasattr(widget, "suffixes"):  # django-filter's range widgets: name_min, name_max…
            keys |= {widget.suffixed(name, suffix) for suffix in widget.suffixes}
        elif isinstance(widget, forms.MultiWidget):
            keys |= {name + part for part in widget.widgets_names}
        else:
            keys.add(name)
    return keys


def campaign_clients(*, user, filters: dict):
    """The clients an activity targets: the client-list filters, plus `product` traded (ContractSettlement).

    A filter the list does not know, or a value it cannot read, is refused by name: dropped, it would
    widen the target to every client the caller sees.
    """
    data = {k: v for k, v in filters.items() if k != "product" and v not in ("", None)}
    filterset = ClientFilterSet(data, queryset=Client.objects.visible_to(user))
    unknown = sorted(set(data) - _filter_keys(filterset))
    if unknown:
        raise ValidationError({key: _("There is no client filter of this name.") for key in unknown})
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    # A yes/no filter reads an unknown word as "any": a value given but read as nothing is refused too.
    unread = sorted(key for key in data if key in filterset.form.cleaned_data
                    and filterset.form.cleaned_data[key] in (None, "", []))
    if unread:
        raise ValidationError({key: _("This value is not understood.") for key in unread})
    qs = filterset.qs
    try:  # the product goes into SQL as text: a NUL byte there was a DataError (a 500), not an answer
        product = forms.CharField(required=False, max_length=32).clean(filters.get("product"))
    except ValidationError as exc:
        raise ValidationError({"product": exc.messages}) from None
    if product:
        from clients.models import ContractSettlement

        qs = qs.filter(pk__in=ContractSettlement.objects.filter(product__iexact=product).values("client_id"))
    return qs.order_by()


def client_panel(client, user) -> dict:
    """The service section of the client 360 page: tickets, tasks, surveys, activities, return visits, messages."""
    from . import roles
    from .models import CommunicationLog

    role = user_role(user)
    return {
        "tickets": client.tickets.order_by("-created_at")[:10],
        "tasks": client.tasks.order_by("-due_on")[:10],
        "surveys": client.surveys.all()[:10],
        "activities": client.activity_records.select_related("activity").order_by("-activity__held_on")[:10],
        "messages": CommunicationLog.objects.filter(client=client).order_by("-sent_at")[:5],
        "prospect": Prospect.objects.filter(client=client).first(),
        "return_visits": client.return_visits.select_related("done_by__staff_profile").order_by("-due_on", "-id")[:10],
        "can_record_visit": role in roles.RETURN_VISIT_WRITE_ROLES,
        "can_ticket": role in roles.TICKET_WRITE_ROLES,
        "can_survey": role in roles.SURVEY_WRITE_ROLES,
        "can_message": role in roles.MESSAGE_WRITE_ROLES,
    }


def survey_summary(queryset) -> dict:
    """Average satisfaction and the share trading elsewhere among `queryset`'s surveys."""
    from django.db.models import Avg, Count

    totals = queryset.aggregate(avg=Avg("satisfaction"), n=Count("id"), answered=Count("trades_elsewhere"),
                                elsewhere=Count("id", filter=Q(trades_elsewhere=True)))
    totals["elsewhere_share"] = (100 * totals["elsewhere"] // totals["answered"]) if totals["answered"] else None
    return totals


def care_run_summary(counts: dict) -> str:
    """What a care run did (services.care_run's counts), one clause per occasion, in the active language."""
    return "; ".join(
        _("%(occasion)s: %(tasks)s task(s) opened, %(messages)s message(s) sent") % {
            "occasion": CarePlanKind(kind).label, "tasks": c["tasks"], "messages": c["messages"]}
        for kind, c in counts.items()) or _("No active care plan.")
