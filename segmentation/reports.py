"""Scheduled reports: a user's dashboard e-mailed weekly or monthly as a PDF or an XLSX attachment.

The rules live here: what a user may subscribe to (the dashboard scopes they may see, `dashboard_scope`), and the
daily send (`send_due_reports`, run by Celery beat). A subscription is sent once per period (the week from
Monday, the calendar month): each send locks its subscription row, skips a period already recorded, and records
the send (ReportSend) in the transaction that sent the e-mail, so a second run of the day, or a retry after a crash
half-way through the list, sends only what is still due. The scope is checked again at send time: a user who
lost access to it (moved, demoted, deactivated) gets nothing. The attachment is rendered in the language the user
had when subscribing, from the same figures the dashboard shows (`dashboard_figures`).
"""

import datetime
import io
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from clients.statement_pdf import HEADING, TEXT, TITLE, _table
from futures_crm import people
from futures_crm.exports import XLSX_CONTENT_TYPE, write_xlsx
from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

from .choices import ReportFormat, ReportFrequency
from .indicators import HIGH_RISK
from .models import ReportSend, ReportSubscription
from .selectors import AXIS_VALUES, DASHBOARD_ROLES, dashboard_figures, dashboard_scope, high_risk_count

log = logging.getLogger(__name__)
LANGUAGES = {code for code, _name in settings.LANGUAGES}
PDF_CONTENT_TYPE = "application/pdf"


# ---------------------------------------------------------------- scopes


def scope_of(subscription) -> dict | None:
    """The dashboard scope a subscription names, if its user may see it now; else None."""
    return _resolve(subscription.user, subscription.branch_id, subscription.manager_id)


def _resolve(user, branch_id, manager_id) -> dict | None:
    if not getattr(user, "is_active", False) or user_role(user) not in DASHBOARD_ROLES:
        return None
    if branch_id is None and manager_id is None and user_role(user) not in FIRM_WIDE_ROLES:
        return None  # the whole firm, for firm-wide roles only (dashboard_scope would read it as one's default)
    return dashboard_scope(user, branch_id, manager_id)


def parse_scope(key: str) -> tuple[int | None, int | None] | None:
    """"firm", "branch:<id>" or "manager:<id>" → (branch id, manager id); None for anything else."""
    if key == "firm":
        return None, None
    kind, _sep, pk = (key or "").partition(":")
    if kind not in ("branch", "manager") or not pk.isdigit() or int(pk) > 2**31 - 1:
        return None
    return (int(pk), None) if kind == "branch" else (None, int(pk))


def scope_label(scope: dict) -> str:
    if scope.get("own"):
        return _("My clients")
    if scope["manager"] is not None:
        return people.label(scope["manager"])
    if scope["branch"] is not None:
        return str(scope["branch"])
    return _("Whole firm")


def default_scope_key(user) -> str:
    """The scope the user's own dashboard opens on: a manager's book, a branch manager's branch, or the firm."""
    role = user_role(user)
    if role == Role.ACCOUNT_MANAGER:
        return f"manager:{user.pk}"
    if role == Role.BRANCH_MANAGER:
        return f"branch:{user.staff_profile.branch_id}"
    return "firm"


def subscribable_scopes(user) -> list[tuple[str, str]]:
    """(key, label) of every scope `user` may subscribe to: their own book; their branch and its managers; or, for
    the firm-wide roles, the firm, every branch and every account manager."""
    from clients.models import Branch

    role = user_role(user)
    if role not in DASHBOARD_ROLES:
        return []
    if role == Role.ACCOUNT_MANAGER:
        return [(f"manager:{user.pk}", _("My clients"))]
    managers = (get_user_model().objects.filter(staff_profile__role=Role.ACCOUNT_MANAGER, is_active=True)
                .select_related("staff_profile__branch").order_by("staff_profile__branch__code",
                                                                  "staff_profile__employee_code"))
    if role == Role.BRANCH_MANAGER:
        branch = user.staff_profile.branch
        if branch is None:
            return []
        return [(f"branch:{branch.pk}", str(branch))] + [
            (f"manager:{m.pk}", people.label(m)) for m in managers.filter(staff_profile__branch=branch)]
    return ([("firm", _("Whole firm"))] + [(f"branch:{b.pk}", str(b)) for b in Branch.objects.order_by("code")]
            + [(f"manager:{m.pk}", f"{m.staff_profile.branch} · {people.label(m)}") for m in managers])


def subscriptions_of(user):
    """`user`'s own active subscriptions (the page and the API)."""
    return (ReportSubscription.objects.filter(user=user, active=True)
            .select_related("branch", "manager__staff_profile").order_by("created_at", "id"))


def scope_key(subscription) -> str:
    """The scope a subscription names, as report_subscribe takes it ("firm", "branch:<id>", "manager:<id>")."""
    if subscription.manager_id is not None:
        return f"manager:{subscription.manager_id}"
    if subscription.branch_id is not None:
        return f"branch:{subscription.branch_id}"
    return "firm"


# ---------------------------------------------------------------- the writes


@transaction.atomic
def report_subscribe(*, by, scope: str, frequency: str, fmt: str, language: str) -> ReportSubscription:
    """Subscribe `by` to the dashboard of `scope` ("firm", "branch:<id>", "manager:<id>"); subscribing again to
    the same scope and frequency changes its format and language. Refused (PermissionDenied) for a scope `by` may
    not see."""
    parsed = parse_scope(scope)
    errors = {}
    if parsed is None:
        errors["scope"] = _("Unknown scope.")
    if frequency not in ReportFrequency.values:
        errors["frequency"] = _("Unknown frequency.")
    if fmt not in ReportFormat.values:
        errors["format"] = _("Unknown format.")
    if errors:
        raise ValidationError(errors)
    if _resolve(by, *parsed) is None:
        raise PermissionDenied
    branch_id, manager_id = parsed
    if manager_id is not None and manager_id == by.pk:
        branch_id = None
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=by, branch_id=branch_id, manager_id=manager_id, frequency=frequency,
        defaults={"format": fmt, "language": language if language in LANGUAGES else settings.LANGUAGE_CODE,
                  "active": True})
    return subscription


@transaction.atomic
def report_subscription_update(*, by, subscription, fmt: str | None = None,
                               language: str | None = None) -> ReportSubscription:
    """Change the format or the language of one of `by`'s own subscriptions (what subscribing again to the same
    dashboard and frequency does on the page); anyone else's is refused. The frequency is not changed here: one
    subscribes at the other frequency and ends this one."""
    if subscription.user_id != by.pk or not subscription.active:
        raise PermissionDenied
    errors = {}
    if fmt is not None and fmt not in ReportFormat.values:
        errors["format"] = _("Unknown format.")
    if language is not None and language not in LANGUAGES:
        errors["language"] = _("Unknown language.")
    if errors:
        raise ValidationError(errors)
    subscription.format = subscription.format if fmt is None else fmt
    subscription.language = subscription.language if language is None else language
    subscription.save(update_fields=["format", "language"])
    return subscription


@transaction.atomic
def report_unsubscribe(*, by, subscription) -> None:
    """End one of `by`'s own subscriptions (the record and its sends stay); anyone else's is refused."""
    if subscription.user_id != by.pk or not subscription.active:
        raise PermissionDenied
    subscription.active = False
    subscription.save(update_fields=["active"])


# ---------------------------------------------------------------- the send


def period_start(day: datetime.date, frequency: str) -> datetime.date:
    """The period `day` falls in: the week from Monday, or the calendar month."""
    if frequency == ReportFrequency.WEEKLY:
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def send_due_reports(today: datetime.date | None = None) -> dict:
    """Send every active subscription not yet sent this period; one transaction per subscription.

    Counts by outcome: sent, already (sent earlier this period), no_access, no_address, no_data (nothing to
    report yet) and failed (the mail server refused: not recorded, so tried again by the next run)."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(("sent", "already", "no_access", "no_address", "no_data", "failed"), 0)
    for pk in ReportSubscription.objects.filter(active=True).order_by("pk").values_list("pk", flat=True):
        try:
            counts[report_send(subscription_id=pk, today=today)] += 1
        except OSError:  # smtplib.SMTPException and connection errors: one bad address does not stop the rest
            log.exception("report %s not sent", pk)
            counts["failed"] += 1
    return counts


@transaction.atomic
def report_send(*, subscription_id: int, today: datetime.date) -> str:
    """E-mail one subscription's report for the period of `today` unless already sent; the outcome's name."""
    subscription = (ReportSubscription.objects.select_for_update(of=("self",))
                    .select_related("user__staff_profile").get(pk=subscription_id))
    period = period_start(today, subscription.frequency)
    if not subscription.active or ReportSend.objects.filter(subscription=subscription, period_start=period).exists():
        return "already"
    scope = scope_of(subscription)
    if scope is None:
        return "no_access"
    address = subscription.user.email
    if not address:
        return "no_address"
    data = dashboard_figures(scope)
    if not data:
        return "no_data"
    with translation.override(subscription.language):
        message = report_message(subscription, scope, data, today)
    ReportSend.objects.create(subscription=subscription, period_start=period, recipient=address)
    subscription.last_sent_on = today
    subscription.save(update_fields=["last_sent_on"])
    # Last, inside the transaction: if sending fails, the send is not recorded and the next run tries again.
    message.send()
    log.info("report %s sent to %s for %s", subscription.pk, address, period)
    return "sent"


def report_message(subscription, scope: dict, data: dict, today: datetime.date) -> EmailMessage:
    """The e-mail, in the active language, with the report attached."""
    label = scope_label(scope)
    frequency = ReportFrequency(subscription.frequency).label
    subject = _("%(frequency)s report: %(scope)s, %(day)s") % {
        "frequency": frequency, "scope": label, "day": f"{today:%Y-%m-%d}"}
    body = _("Attached: the segment dashboard of %(scope)s as of %(as_of)s.\n\n"
             "You receive it because you subscribed to it in the CRM (Segments › Scheduled reports), "
             "where you can also unsubscribe.") % {"scope": label, "as_of": f"{data['as_of']:%Y-%m-%d}"}
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.user.email])
    name = f"dashboard-{today:%Y-%m-%d}.{subscription.format}"
    rows = report_rows(data)
    if subscription.format == ReportFormat.PDF:
        message.attach(name, report_pdf(subject, label, data, rows), PDF_CONTENT_TYPE)
    else:
        message.attach(name, report_xlsx(label, data, rows), XLSX_CONTENT_TYPE)
    return message


# ---------------------------------------------------------------- the attachment


def report_rows(data: dict) -> list[tuple[str, str, object]]:
    """The dashboard's figures as (section, figure, value) rows, in the order the dashboard shows them."""
    summary = _("Clients by segment")
    rows = [(summary, _("Segmented clients"), data["clients"]), (summary, _("Churned"), data["churned"]),
            (summary, _("Loyal"), data["loyal"])]
    for axis, enum in AXIS_VALUES.items():
        rows += [(str(axis.label), str(label), data["segments"].get(axis.value, {}).get(value, 0))
                 for value, label in enum.choices]
    risk = _("Churn risk distribution")
    rows += [(risk, f"{b['from']}–{b['to']}", b["clients"]) for b in data["churn"]]
    rows.append((risk, _("Clients at high risk (score %(n)s or more)") % {"n": HIGH_RISK},
                 high_risk_count(data)))
    share = data["concentration"]["top20_share"]
    top = _("Share of net commission brought by the top %(share)s of clients") % {"share": "20%"}
    rows.append((_("Value concentration"), top, None if share is None else f"{float_free_pct(share)}%"))
    return rows


def float_free_pct(share: str) -> str:
    """"0.8123" → "81.23" (the stored share is a decimal string; no float on the way)."""
    return str((Decimal(share) * 100).quantize(Decimal("0.01")))


def report_xlsx(label: str, data: dict, rows) -> bytes:
    out = io.BytesIO()
    preamble = [[_("Segment dashboard"), label], [_("As of"), data["as_of"]], []]
    write_xlsx(out, [_("Section"), _("Figure"), _("Value")], rows, title=_("Dashboard"), preamble=preamble)
    return out.getvalue()


def report_pdf(title: str, label: str, data: dict, rows) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=title)
    story = [Paragraph(_("Segment dashboard"), TITLE),
             _table([[_("Scope"), label], [_("As of"), f"{data['as_of']:%Y-%m-%d}"]], [40 * mm, 138 * mm],
                    header=False, latin=[(1, 1)])]
    sections: dict[str, list] = {}
    for section, figure, value in rows:
        sections.setdefault(section, []).append([figure, "—" if value is None else str(value)])
    for section, lines in sections.items():
        story += [Paragraph(section, HEADING), _table(lines, [138 * mm, 40 * mm], header=False, numeric_from=1)]
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    story += [Spacer(1, 6 * mm), Paragraph(_("Sent %(when)s by the CRM.") % {"when": printed}, TEXT)]
    doc.build(story)
    return out.getvalue()
