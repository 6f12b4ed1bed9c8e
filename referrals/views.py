"""Relationship pages: managers and handover, intermediaries and rebates, referrals, the club."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, TemplateView

from clients.models import Branch, Client
from clients.querysets import client_scope_q
from futures_crm import people
from futures_crm.exports import EXPORT_FORMATS, export_response
from futures_crm.forms import add_service_errors
from futures_crm.roles import Role, user_role
from futures_crm.views import FilteredListView, ScopedQuerysetMixin, StaffRequiredMixin

from . import exports, selectors, services
from .access import (
    ASSIGNERS,
    CLUB_EDITORS,
    CLUB_READERS,
    INTERMEDIARY_EDITORS,
    INTERMEDIARY_READERS,
    MANAGEMENT,
    REFERRAL_EDITORS,
    REFERRAL_READERS,
    REWARD_APPROVERS,
    STATEMENT_READERS,
)
from .choices import HandoverStrategy, IntermediaryStatus, StatementStatus
from .filtersets import ClubMemberFilterSet, IntermediaryFilterSet, ReferralFilterSet
from .forms import (
    AdvanceForm,
    AssignForm,
    HandoverForm,
    IntermediaryForm,
    LeaveForm,
    LinkForm,
    MembershipForm,
    ReferralForm,
    RelativeForm,
    RewardForm,
    StatementDraftForm,
    TrainingForm,
)
from .models import DEFAULT_NOTICE_CHANNEL, ClubMembership, Intermediary, RebateStatement, Referral
from .parsing import parse_manual_plan, parse_transfers


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- account managers

class AssignView(StaffRequiredMixin, FormView):
    """Give one client a new manager with a reason."""

    allowed_roles = ASSIGNERS
    form_class = AssignForm
    template_name = "generic/form.html"

    def get_client(self):
        return get_object_or_404(Client.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        client = self.get_client()
        return super().get_context_data(title=_("Reassign %(client)s") % {"client": client}, client=client,
                                        back=reverse("clients:detail", args=[client.pk]), **kwargs)

    def form_valid(self, form):
        client = self.get_client()
        try:
            services.client_reassign(client=client, to_manager=form.cleaned_data["to_manager"],
                                     by=self.request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Account manager changed."))
        return redirect("clients:detail", pk=client.pk)


class HandoverView(StaffRequiredMixin, FormView):
    """离职交接: choose, preview the book and the spread, then confirm in one operation."""

    allowed_roles = ASSIGNERS
    form_class = HandoverForm
    template_name = "referrals/handover.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.request.method == "GET" and "leaving_manager" in self.request.GET:
            data = self.request.GET.copy()
            data.setdefault("notice_channel", DEFAULT_NOTICE_CHANNEL)
            kwargs["data"] = data
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        ctx = {"form": form}
        if form.is_bound and form.is_valid():
            ctx.update(self._preview(form))
        return self.render_to_response(self.get_context_data(**ctx))

    def _preview(self, form, manual=None):
        data = form.cleaned_data
        leaving, successors = data["leaving_manager"], list(data["successors"])
        strategy = data["strategy"]
        book = list(selectors.manager_book(leaving))
        try:
            if strategy == HandoverStrategy.MANUAL and manual is None:
                # The by-hand form starts from a count-balanced proposal the user then edits.
                plan = services.handover_preview(by=self.request.user, leaving_manager=leaving,
                                                 successors=successors, strategy=HandoverStrategy.COUNT)
            else:
                plan = services.handover_preview(by=self.request.user, leaving_manager=leaving,
                                                 successors=successors, strategy=strategy, manual=manual)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return {}
        owner = {pk: sid for sid, ids in plan.items() for pk in ids}
        by_id = {s.pk: s for s in successors}
        rows = [{"client": c, "successor": by_id[owner[c.pk]]} for c in book]
        equity = {c.pk: c.equity for c in book}
        # What each successor already carries, so the person confirming sees the resulting books.
        current = {r["manager"].pk: r for r in selectors.manager_workload(user=self.request.user)}
        summary = [{"successor": by_id[sid], "clients": len(ids), "equity": sum(equity[pk] for pk in ids),
                    "has_clients": current.get(sid, {}).get("clients", 0),
                    "has_equity": current.get(sid, {}).get("equity", 0)}
                   for sid, ids in plan.items()]
        return {"book": book, "rows": rows, "plan": plan, "summary": summary, "successors": successors,
                "manual": strategy == HandoverStrategy.MANUAL}

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.form_invalid(form)
        manual = None
        if form.cleaned_data["strategy"] == HandoverStrategy.MANUAL:
            # The same shape as the API's `manual`: fund account → successor's employee code.
            manual = parse_manual_plan({k.removeprefix("to_"): v for k, v in request.POST.items()
                                        if k.startswith("to_") and v}, successors=form.cleaned_data["successors"])
        preview = self._preview(form, manual=manual)
        if "plan" not in preview:
            return self.render_to_response(self.get_context_data(form=form, **preview))
        data = form.cleaned_data
        try:
            handover = services.manager_handover(
                leaving_manager=data["leaving_manager"], plan=preview["plan"], strategy=data["strategy"],
                by=request.user, reason=data["reason"], notify=data["notify"],
                notice_channel=data["notice_channel"] or DEFAULT_NOTICE_CHANNEL)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, **preview))
        messages.success(request, _("Handover done: %(n)d clients moved; %(name)s is deactivated.") % {
            "n": handover.client_count, "name": data["leaving_manager"].staff_profile.display_name})
        return redirect("referrals:workload")


def _branch_filter(request, user):
    branches = Branch.objects.all()
    if user_role(user) == Role.BRANCH_MANAGER:
        branches = branches.filter(pk=user.staff_profile.branch_id)
    chosen = branches.filter(pk=request.GET.get("branch")).first() if request.GET.get("branch", "").isdigit() else None
    return branches, chosen


class WorkloadView(StaffRequiredMixin, TemplateView):
    """Per manager: clients, equity, net commission of 20 trading days, open tasks; by branch."""

    allowed_roles = MANAGEMENT
    template_name = "referrals/workload.html"

    def get(self, request, *args, **kwargs):
        branches, chosen = _branch_filter(request, request.user)
        rows = selectors.manager_workload(user=request.user, branch=chosen)
        if (fmt := request.GET.get("export")) in EXPORT_FORMATS:
            header = [_("Employee code"), _("Account manager"), _("Branch"), _("Clients"), _("Equity"),
                      _("Net commission (20 trading days)"), _("Open tasks")]
            return export_response(fmt, "workload", header, (
                [r["manager"].staff_profile.employee_code, r["manager"].staff_profile.display_name,
                 r["branch"].code if r["branch"] else "", r["clients"], r["equity"], r["net_commission"],
                 r["open_tasks"]] for r in rows))
        query_string = urlencode({"branch": chosen.pk}) if chosen else ""  # for the export links
        return self.render_to_response(self.get_context_data(rows=rows, branches=branches, chosen=chosen,
                                                             query_string=query_string))


class KeyClientsView(StaffRequiredMixin, ListView):
    """Key clients (large, key-service, or marked by hand) with no active manager."""

    allowed_roles = MANAGEMENT
    paginate_by = 50
    title = gettext_lazy("Key clients without a manager")
    template_name = "referrals/client_worklist.html"

    def get_queryset(self):
        return selectors.key_clients_without_manager(user=self.request.user)


class OrphansView(KeyClientsView):
    """Clients whose manager or intermediary left without a handover."""

    title = gettext_lazy("Orphaned clients")

    def get_queryset(self):
        return selectors.orphaned_client_list(user=self.request.user)


# ---------------------------------------------------------------- intermediaries

class IntermediaryListView(FilteredListView):
    allowed_roles = INTERMEDIARY_READERS
    title = gettext_lazy("Intermediaries")
    filterset_class = IntermediaryFilterSet
    template_name = "referrals/intermediary_list.html"
    figures = {"check": "%(check)s"}  # the compliance check's own name
    export_name = "intermediaries.csv"
    export_columns = [
        (gettext_lazy("Code"), lambda i: i.code), (gettext_lazy("Name"), lambda i: i.name),
        (gettext_lazy("Kind"), lambda i: i.get_kind_display()),
        (gettext_lazy("Status"), lambda i: i.get_status_display()),
        (gettext_lazy("Contract end"), lambda i: i.contract_end or ""),
        (gettext_lazy("Rebate rate"), lambda i: i.rebate_rate),
        (gettext_lazy("Clients"), lambda i: i.current_clients),
    ]

    def get_queryset(self):
        return selectors.intermediary_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        flags = selectors.compliance_report(user=self.request.user)["flags"]
        ctx["object_list"] = list(ctx["object_list"])
        equity = selectors.intermediary_equity(obj.pk for obj in ctx["object_list"])
        for obj in ctx["object_list"]:
            obj.flag_set = flags.get(obj.pk, set())
            obj.equity = equity.get(obj.pk)
        ctx["can_edit"] = self.role in INTERMEDIARY_EDITORS
        return ctx


class ComplianceView(StaffRequiredMixin, TemplateView):
    """Every compliance check and warning sign as a list."""

    allowed_roles = INTERMEDIARY_READERS
    template_name = "referrals/compliance.html"

    def get_context_data(self, **kwargs):
        report = selectors.compliance_report(user=self.request.user)
        signs = report["signs"]
        clients = signs["over_trading"] + signs["negative_equity"]
        names = Intermediary.objects.in_bulk({g["intermediary_id"] for g in signs["converging"]}
                                             | {c.intermediary_id for c in clients})
        for g in signs["converging"]:
            g["intermediary"] = names.get(g["intermediary_id"])
        for c in clients:
            c.intermediary_obj = names.get(c.intermediary_id)
        return super().get_context_data(report=report, **kwargs)


class IntermediaryDetailView(ScopedQuerysetMixin, DetailView):
    """The registry, each check with its flag and list, the clients, training, relatives, statements."""

    allowed_roles = INTERMEDIARY_READERS
    model = Intermediary
    template_name = "referrals/intermediary_detail.html"
    context_object_name = "intermediary"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.object
        # The same selector as GET /api/intermediaries/{id}/compliance/: flags of the intermediary, clients scoped.
        report = selectors.intermediary_compliance(intermediary=obj, user=self.request.user)
        flags = report["flags"]
        links = obj.links.visible_to(self.request.user).select_related("client", "created_by")
        ctx.update(
            contract_flag=flags["contract"],
            training_flag=flags["training"],
            relatives_flag=flags["relatives"],
            relatives_conflicts=report["relatives"],
            signs=report["signs"],
            warning_flag=flags["warning"],
            current_links=[link for link in links if link.valid_to is None],
            past_links=[link for link in links if link.valid_to is not None],
            trainings=obj.trainings.all(),
            relatives=obj.relatives.all(),
            can_edit=self.role in INTERMEDIARY_EDITORS,
            can_reveal=self.request.user.has_perm("clients.reveal_id_number"),
            can_see_statements=self.role in STATEMENT_READERS,
            statements=obj.statements.all() if self.role in STATEMENT_READERS else [],
        )
        # An action that was refused comes back with its bound form (what was typed, and why it was refused).
        ctx.setdefault("training_form", TrainingForm(prefix="training"))
        ctx.setdefault("relative_form", RelativeForm(prefix="relative"))
        ctx.setdefault("link_form", LinkForm(prefix="link", user=self.request.user))
        ctx.setdefault("draft_form", StatementDraftForm(prefix="draft",
                                                        initial={"month": timezone.localdate().replace(day=1)}))
        return ctx


class IntermediaryRevealIdView(IntermediaryDetailView):
    """Show the full ID number once, on this response only; the reveal is audited."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        number = services.intermediary_reveal_id_number(intermediary=self.object, by=request.user)
        response = self.render_to_response(self.get_context_data(revealed_id=number))
        response["Cache-Control"] = "no-store"
        return response


class IntermediaryEditView(StaffRequiredMixin, FormView):
    """Register an intermediary or edit its registry fields."""

    allowed_roles = INTERMEDIARY_EDITORS
    form_class = IntermediaryForm
    template_name = "generic/form.html"

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Intermediary.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def get_context_data(self, **kwargs):
        obj = self.get_object()
        title = _("Edit %(name)s") % {"name": obj} if obj else _("Register an intermediary")
        back = reverse("referrals:intermediary", args=[obj.pk]) if obj else reverse("referrals:intermediaries")
        return super().get_context_data(title=title, back=back, **kwargs)

    def form_valid(self, form):
        try:
            obj = services.intermediary_save(by=self.request.user, intermediary=self.get_object(),
                                             **{name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("referrals:intermediary", pk=obj.pk)


class IntermediaryActionView(IntermediaryDetailView):
    """POST-only actions from the intermediary page: training, relative, client link, statement draft.

    A refused action renders the page again with its form bound: what was typed stays, the reasons beside it.
    """

    allowed_roles = INTERMEDIARY_EDITORS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = obj = self.get_object()
        action = kwargs["action"]
        user = request.user
        forms = {"training": TrainingForm, "relative": RelativeForm, "link": LinkForm, "draft": StatementDraftForm}
        if action not in forms:
            raise Http404
        extra = {"user": user} if action == "link" else {}
        form = forms[action](request.POST, prefix=action, **extra)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**{f"{action}_form": form}))
        data = form.cleaned_data
        try:
            if action == "training":
                services.intermediary_training_add(intermediary=obj, by=user, **data)
            elif action == "relative":
                services.intermediary_relative_add(intermediary=obj, by=user, **data)
            elif action == "link":
                services.intermediary_link(client=data["client"], intermediary=obj, by=user,
                                           valid_from=data["valid_from"], reason=data["reason"])
            else:
                st = services.rebate_statement_draft(intermediary=obj, month=data["month"], by=user,
                                                     exchange_refund_rate=data["exchange_refund_rate"])
                return redirect("referrals:statement", pk=obj.pk, month=f"{st.month:%Y-%m}")
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(**{f"{action}_form": form}))
        messages.success(request, _("Saved."))
        return redirect("referrals:intermediary", pk=obj.pk)


class IntermediaryLeaveView(StaffRequiredMixin, DetailView):
    """A leaving intermediary: its clients listed, each sent to a manager or another intermediary."""

    allowed_roles = INTERMEDIARY_EDITORS
    template_name = "referrals/intermediary_leave.html"
    context_object_name = "intermediary"

    def get_queryset(self):
        return Intermediary.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        posted = kwargs.get("posted", {})
        clients = list(selectors.current_clients_of(Intermediary.objects.filter(pk=self.object.pk))
                       .visible_to(self.request.user).select_related("account_manager__staff_profile")
                       .order_by("account_id"))
        for c in clients:
            c.chosen = posted.get(c.account_id, "")
        ctx.update(
            clients=clients,
            managers=selectors.active_managers(user=self.request.user),
            others=Intermediary.objects.filter(status=IntermediaryStatus.ACTIVE).exclude(pk=self.object.pk),
            form=ctx.get("form") or LeaveForm(initial={"left_on": timezone.localdate()}),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = obj = self.get_object()
        # The same shape as the API's `transfers`: fund account → "manager:<employee code>" | "intermediary:<code>".
        posted = {k.removeprefix("to_"): v for k, v in request.POST.items() if k.startswith("to_") and v}
        try:
            try:
                left_on = datetime.date.fromisoformat(request.POST.get("left_on", ""))
            except ValueError:
                raise ValidationError({"left_on": _("Enter a valid date.")}) from None
            moved = services.intermediary_leave(intermediary=obj, by=request.user, left_on=left_on,
                                                reason=request.POST.get("reason", ""),
                                                transfers=parse_transfers(posted, intermediary=obj))
        except ValidationError as exc:
            # The page comes back with what was chosen and typed, and why it was refused.
            return self.render_to_response(self.get_context_data(
                errors=exc.messages, posted=posted, left_on=request.POST.get("left_on", ""),
                reason=request.POST.get("reason", "")))
        messages.success(request, _("%(name)s has left: %(m)d clients to managers, %(i)d to intermediaries.") % {
            "name": obj.name, "m": moved["manager"], "i": moved["intermediary"]})
        return redirect("referrals:intermediary", pk=obj.pk)


class StatementView(StaffRequiredMixin, DetailView):
    """A month's rebate statement: per-client lines, totals, confirm, CSV/XLSX."""

    allowed_roles = STATEMENT_READERS
    template_name = "referrals/statement.html"
    context_object_name = "statement"

    def get_object(self, queryset=None):
        try:
            month = datetime.datetime.strptime(self.kwargs["month"], "%Y-%m").date()  # noqa: DTZ007 (a month)
        except ValueError as exc:
            raise Http404 from exc
        return get_object_or_404(RebateStatement.objects.visible_to(self.request.user).select_related("intermediary"),
                                 intermediary_id=self.kwargs["pk"], month=month)

    def get(self, request, *args, **kwargs):
        self.object = st = self.get_object()
        if (fmt := request.GET.get("export")) in EXPORT_FORMATS:
            return exports.statement_export(st, fmt)
        return self.render_to_response(self.get_context_data(
            lines=st.lines.select_related("client"), can_confirm=(
                self.role in INTERMEDIARY_EDITORS and st.status == StatementStatus.DRAFT)))

    def post(self, request, *args, **kwargs):
        if self.role not in INTERMEDIARY_EDITORS:
            raise Http404
        st = self.get_object()
        try:
            services.rebate_statement_confirm(statement=st, by=request.user)
            messages.success(request, _("Statement confirmed."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("referrals:statement", pk=st.intermediary_id, month=f"{st.month:%Y-%m}")


# ---------------------------------------------------------------- referrals

class ReferralListView(FilteredListView):
    allowed_roles = REFERRAL_READERS
    title = gettext_lazy("Referrals")
    filterset_class = ReferralFilterSet
    template_name = "referrals/referral_list.html"
    figures = {"referrals": gettext_lazy("Referrals from one referrer"),
               "reached": gettext_lazy("Referrals from one referrer that reached: %(reached)s"),
               "funnel": gettext_lazy("Referrals made from %(referred_from)s to %(referred_to)s that reached: "
                                      "%(reached)s")}
    export_name = "referrals.csv"
    export_columns = [
        (gettext_lazy("Referred person"), lambda r: r.prospect_name),
        (gettext_lazy("Referred account"), lambda r: r.referred_client.account_id if r.referred_client else ""),
        (gettext_lazy("Referred by"), lambda r: r.referrer_client.account_id if r.referrer_client
         else people.employee_code(r.referrer_staff, r.referrer_staff.username) if r.referrer_staff else ""),
        (gettext_lazy("Status"), lambda r: r.get_status_display()),
        (gettext_lazy("Referred on"), lambda r: r.referred_on),
        (gettext_lazy("Contacted on"), lambda r: r.contacted_on or ""),
        (gettext_lazy("Opened on"), lambda r: r.opened_on or ""),
        (gettext_lazy("Funded on"), lambda r: r.funded_on or ""),
    ]

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_edit=self.role in REFERRAL_EDITORS, **kwargs)


class ConversionView(StaffRequiredMixin, TemplateView):
    """Per referrer: referrals, conversion, and the equity and commission brought."""

    allowed_roles = REFERRAL_READERS
    template_name = "referrals/conversion.html"

    def get_context_data(self, **kwargs):
        rows = selectors.referrer_conversion(user=self.request.user)
        for r in rows:  # each count links to the referral list of that referrer (ReferralFilterSet)
            r["referrer_query"] = urlencode({"referrer_client": r["referrer_client_id"]} if r["referrer_client_id"]
                                            else {"referrer_staff": r["referrer_staff_id"]})
        return super().get_context_data(rows=rows, **kwargs)


class ReferralCreateView(StaffRequiredMixin, FormView):
    allowed_roles = REFERRAL_EDITORS
    form_class = ReferralForm
    template_name = "generic/form.html"

    def get_initial(self):
        return {"referrer_account": self.request.GET.get("referrer", "")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Record a referral"), back=reverse("referrals:referrals"), **kwargs)

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            referral = services.referral_create(
                by=self.request.user, prospect_name=d["prospect_name"], prospect_phone=d["prospect_phone"],
                referred_on=d["referred_on"], referrer_client=d["referrer_account"],
                referrer_staff=self.request.user if d["referrer_is_me"] and not d["referrer_account"] else None,
                referred_client=d["referred_account"], note=d["note"])
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"referrer_client": "referrer_account",
                                                   "referred_client": "referred_account"})
            return self.form_invalid(form)
        return redirect("referrals:referral", pk=referral.pk)


class ReferralDetailView(ScopedQuerysetMixin, DetailView):
    allowed_roles = REFERRAL_READERS
    model = Referral
    template_name = "referrals/referral_detail.html"
    context_object_name = "referral"

    def get_context_data(self, **kwargs):
        # A refused action comes back with its bound form (what was typed, and why it was refused).
        kwargs.setdefault("advance_form", AdvanceForm(prefix="advance", user=self.request.user))
        kwargs.setdefault("reward_form", RewardForm(prefix="reward"))
        return super().get_context_data(
            rewards=self.object.rewards.select_related("approved_by__staff_profile"),
            can_edit=self.role in REFERRAL_EDITORS, can_reward=self.role in REWARD_APPROVERS, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = referral = self.get_object()
        action = request.POST.get("action")
        allowed = REWARD_APPROVERS if action == "reward" else REFERRAL_EDITORS
        if self.role not in allowed:
            raise Http404
        if action == "reward":
            form = RewardForm(request.POST, prefix="reward")
        else:
            form = AdvanceForm(request.POST, prefix="advance", user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "reward":
                    services.referral_reward_add(referral=referral, by=request.user, **d)
                else:
                    services.referral_advance(referral=referral, status=d["status"], on=d["on"], by=request.user,
                                              referred_client=d["referred_account"])
            except ValidationError as exc:
                add_service_errors(form, exc, aliases={"referred_client": "referred_account"})
        if form.errors:
            name = "reward_form" if action == "reward" else "advance_form"
            return self.render_to_response(self.get_context_data(**{name: form}))
        messages.success(request, _("Saved."))
        return redirect("referrals:referral", pk=referral.pk)


# ---------------------------------------------------------------- club

class ClubListView(FilteredListView):
    """Club members, filterable by the usual client filters."""

    allowed_roles = CLUB_READERS
    title = gettext_lazy("Club members")
    filterset_class = ClubMemberFilterSet
    template_name = "referrals/club_list.html"
    export_name = "club-members.csv"
    export_columns = [
        (gettext_lazy("Fund account"), lambda c: c.account_id), (gettext_lazy("Name"), lambda c: c.name),
        (gettext_lazy("Branch"), lambda c: c.branch.code),
        (gettext_lazy("Level"), lambda c: c.club_membership.get_level_display()),
        (gettext_lazy("Joined on"), lambda c: c.club_membership.joined_on),
        (gettext_lazy("Status"), lambda c: c.club_membership.get_status_display()),
    ]

    def get_queryset(self):
        return Client.objects.visible_to(self.request.user).filter(club_membership__isnull=False).select_related(
            "branch", "club_membership", "account_manager__staff_profile")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_edit=self.role in CLUB_EDITORS, **kwargs)


class MembershipView(StaffRequiredMixin, FormView):
    """Enrol a client in the club or change its membership."""

    allowed_roles = CLUB_EDITORS
    form_class = MembershipForm
    template_name = "generic/form.html"

    def get_client(self):
        return get_object_or_404(Client.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_initial(self):
        m = ClubMembership.objects.filter(client_id=self.get_client().pk).first()
        return {"level": m.level, "status": m.status, "joined_on": m.joined_on} if m else {}

    def get_context_data(self, **kwargs):
        client = self.get_client()
        return super().get_context_data(title=_("Club membership of %(client)s") % {"client": client},
                                        back=reverse("clients:detail", args=[client.pk]), **kwargs)

    def form_valid(self, form):
        client = self.get_client()
        try:
            services.club_membership_set(client=client, by=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("clients:detail", pk=client.pk)


def relationships_panel_context(client, user):
    """The client page panel: manager history, intermediaries, referrals, club."""
    role = user_role(user)
    ctx = selectors.client_relationships(client)
    ctx.update(can_assign=role in ASSIGNERS, can_refer=role in REFERRAL_EDITORS, can_club=role in CLUB_EDITORS,
               sees_intermediaries=role in INTERMEDIARY_READERS)
    # The referred list is scoped like everything else: a manager does not see another book's accounts. The rule
    # is applied through the join to each referred client (an index lookup per referral), not as
    # `IN (the user's clients)`, which hashed a manager's whole book for a handful of referrals.
    scope = client_scope_q(user, "referred_client__")
    if scope:  # Q() for firm-wide roles and the desk: they see every referred account
        ctx["referred"] = ctx["referred"].filter(Q(referred_client__isnull=True) | scope)
    return ctx
