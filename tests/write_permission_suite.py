"""A reusable write-permission check: every write answers the same through the page and the API, and a
refused write changes nothing.

Beside `permission_suite.py` (reads), this module holds

* the REGISTRY: one `Write` per business write, naming its page door (a URL route of the URLconf, and for
  pages that carry several forms the `action`) and its API door(s) (schema method and path), a target
  builder and a VALID payload builder per door. A write with one door says why (`only`: "API only: …" or
  "page only: …"). `unregistered()` compares the registry with the OpenAPI schema's POST/PUT/PATCH/DELETE
  operations and with every URL pattern whose view accepts POST: an endpoint with no entry fails the suite,
  so a new write cannot arrive unguarded;
* the BYPASSES: the issue's known bypass payloads (issue 11), each a variation of a registered write, with
  a `guard` (the state the write must not change);
* KNOWN_BYPASSES: the cases that still fail today, each with a one-line description. The tests mark exactly
  those `xfail(strict=True)`: when a fix lands, the case passes, the strict xfail fails, and the entry is
  deleted. Goal: empty.

How a case runs (`write_case_failures`, `bypass_case_failures`): for one acting role and one target side,
each door is tried in its own savepoint (built target → database fingerprint → request → fingerprint →
rollback), so the page and the API answer from the same state and nothing leaks between cases.

Outcomes (one vocabulary for both doors):

    API   2xx → allowed · 400, 401, 403, 404, 405, 409, 422 → refused · 5xx or anything else → error
    page  400, 403, 404, 405 → refused · 5xx → error
          3xx → allowed, unless the view queued an error message (messages.ERROR): refused
          200 → allowed, unless a form in the context has errors or an error message was queued: refused

What is checked:

    every door      never an error (5xx); refused ⇒ the database fingerprint is unchanged
    page vs API     the same outcome, for every role that uses pages; the back-office role is API-only
                    by design (`roles.API_ONLY_ROLES`), so its page door must refuse (and change nothing)
    sanity          the write's `sanity_role` (admin unless said) on the in-scope target is allowed on
                    every door (and changes the database unless `sanity_changes=False`): the payloads are
                    valid, so a refusal elsewhere is about the role, the scope or a rule
    bypass cases    on every door: no error, the guarded state is unchanged (a 4xx, a form error, or the
                    field ignored all count as "refused"), and a refusal changes nothing at all

The database fingerprint (`fingerprint`) hashes every row of every application table (sessions, the
login-lockout log and `auth_user.last_login` excepted), so "changes nothing" covers the target row and
everything beside it: assignment history, audit entries, events, notifications.

Targets: "in" is inside the actor's scope (an account manager's own client, the branch manager's branch);
"out" is another account manager's client for an account manager, and a client of the other branch for
everyone else. Firm-wide records (activities, policies, imports) have only "in".
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client as PageClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from futures_crm.roles import API_ONLY_ROLES, Role, user_role

ALLOWED, REFUSED, ERROR = "allowed", "refused", "error"

# The acting roles: one user each (two branches: Shanghai SH01 and Beijing BJ01; the branch manager, the
# account manager and the service agent work in Shanghai).
ACTORS: dict[str, str] = {
    "admin": Role.ADMIN, "head": Role.HEAD_OFFICE, "compliance": Role.COMPLIANCE, "marketing": Role.MARKETING,
    "agent": Role.SERVICE_AGENT, "backoffice": Role.BACK_OFFICE, "bm": Role.BRANCH_MANAGER,
    "am": Role.ACCOUNT_MANAGER,
}
SCOPES = ("in", "out")


# ---------------------------------------------------------------- outcomes

API_REFUSALS = {400, 401, 403, 404, 405, 409, 422}
PAGE_REFUSALS = {400, 403, 404, 405}


def api_outcome(response) -> str:
    """allowed (2xx), refused (a 4xx that says no) or error (5xx, anything else)."""
    if 200 <= response.status_code < 300:
        return ALLOWED
    return REFUSED if response.status_code in API_REFUSALS else ERROR


def _queued_errors(response) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return []
    return [str(m) for m in get_messages(request) if m.level >= message_levels.ERROR]


def _form_errors(response) -> list[str]:
    errors = []
    for ctx in response.context or []:
        for value in ctx.dicts if hasattr(ctx, "dicts") else [ctx]:
            for item in (value.values() if isinstance(value, dict) else []):
                if isinstance(item, forms.BaseForm) and item.is_bound and item.errors:
                    errors.append(item.errors.as_text().replace("\n", " "))
    return sorted(set(errors))


def page_outcome(response) -> str:
    """The page's answer in the API's vocabulary (see the module docstring)."""
    status = response.status_code
    if status >= 500:
        return ERROR
    if status in PAGE_REFUSALS:
        return REFUSED
    if 300 <= status < 400:
        if response.get("Location", "").startswith(settings.LOGIN_URL):
            return REFUSED
        return REFUSED if _queued_errors(response) else ALLOWED
    if status == 200:
        return REFUSED if _queued_errors(response) or _form_errors(response) else ALLOWED
    return ERROR


def _detail(response, api: bool) -> str:
    """A short reason for a failure message: the API's body, or the page's error messages and form errors."""
    if response.status_code >= 500:
        return "server error"
    if api:
        text = response.content.decode("utf-8", "replace")
    else:
        text = "; ".join(_queued_errors(response) + (_form_errors(response) if response.status_code == 200 else []))
    return " ".join(text.split())[:300]


# ---------------------------------------------------------------- the database fingerprint

# Written on every request whatever the answer, or by logging in: not part of what a write changes. The
# personal-data access log records reads: a refused form that re-renders the client page is one.
_IGNORED_TABLES = {"django_session", "django_migrations", "django_content_type", "auth_permission",
                   "privacy_personaldataaccess"}
_IGNORED_PREFIXES = ("axes_",)
_IGNORED_COLUMNS = {"auth_user": ["last_login"]}
_fingerprint_sql: str | None = None


def _fingerprint_query() -> str:
    global _fingerprint_sql
    if _fingerprint_sql is None:
        parts = []
        for table in sorted(connection.introspection.table_names()):
            if table in _IGNORED_TABLES or table.startswith(_IGNORED_PREFIXES):
                continue
            row = "to_jsonb(t)" + "".join(f" - '{c}'" for c in _IGNORED_COLUMNS.get(table, []))
            # Table names come from the database's own catalogue, not from input.
            parts.append(
                f"SELECT '{table}', count(*)::text || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') "  # noqa: S608
                f"FROM (SELECT md5(({row})::text) AS h FROM {connection.ops.quote_name(table)} t) s")
        _fingerprint_sql = " UNION ALL ".join(parts)
    return _fingerprint_sql


def fingerprint() -> dict[str, str]:
    """Per table: its row count and a hash of all its rows (order-free)."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_query())
        return dict(cursor.fetchall())


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


# ---------------------------------------------------------------- the world

@dataclass
class Side:
    """A target side: a client and what hangs off it (built once per module by `build_world`)."""

    client: Any
    client2: Any  # a second client of the same manager (a club member)
    manager: Any  # the client's account manager
    peer: Any  # another active account manager of the same branch
    branch: Any
    new_account: str  # the fund account a create on this side uses
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class World:
    users: dict
    sh: Any
    bj: Any
    sides: dict
    objects: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)
    apis: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None

    def actor_user(self, actor: str):
        return self.users["am1" if actor == "am" else actor]

    def side(self, actor: str, scope: str) -> Side:
        if scope == "in":
            return self.sides["in"]
        return self.sides["out_am" if actor == "am" else "out"]


@dataclass
class Ctx:
    """What a builder sees: the world, the acting user, the target side and the target object."""

    w: World
    actor: str
    user: Any
    side: Side
    obj: Any = None

    @property
    def role(self):
        return user_role(self.user)


def today() -> datetime.date:
    return timezone.localdate()


def account_row(account_id: str, trade_date: str, commission: str = "30.00") -> dict:
    """One consistent daily account settlement row (pre 100,000; commission 30; margin 20,000)."""
    balance = Decimal("100000.00") - Decimal(commission if commission.replace(".", "").isdigit() else "0")
    return {"trade_date": trade_date, "account_id": account_id, "pre_balance": "100000.00", "deposit": "0.00",
            "withdrawal": "0.00", "close_profit": "0.00", "position_profit": "0.00", "commission": commission,
            "exchange_fee": "12.00", "balance": f"{balance:.2f}", "equity": f"{balance:.2f}",
            "margin": "20000.00", "available": f"{balance - 20000:.2f}", "margin_call": "0.00"}


def build_world() -> World:
    """Two branches, a user per role (and the managers around them), three target sides and their records."""
    from clients.identity import id_card_with_check
    from clients.imports.services import import_run
    from clients.models import Product, SettlementAlert, SuitabilityAlert
    from referrals.models import ClubMembership, Intermediary, IntermediaryLink, RebateStatement
    from referrals.services import referral_create
    from segmentation.choices import Axis
    from segmentation.models import SegmentOverride
    from segmentation.selectors import AXIS_VALUES
    from service import services as service_services
    from service.models import ActivityRecipient, Notification, Task
    from tests.factories import BranchFactory, ClientFactory, make_staff

    sh = BranchFactory(code="SH01", name="上海营业部", city="上海")
    bj = BranchFactory(code="BJ01", name="北京营业部", city="北京")
    u = {
        "admin": make_staff(Role.ADMIN, username="admin_w"),
        "head": make_staff(Role.HEAD_OFFICE, username="head_w"),
        "compliance": make_staff(Role.COMPLIANCE, username="comp_w"),
        "marketing": make_staff(Role.MARKETING, username="mkt_w"),
        "agent": make_staff(Role.SERVICE_AGENT, branch=sh, username="agent_w", code="SA001"),
        "backoffice": make_staff(Role.BACK_OFFICE, username="bo_w", code="BO001"),
        "bm": make_staff(Role.BRANCH_MANAGER, branch=sh, username="bm_sh_w", code="BM001"),
        "bm_bj": make_staff(Role.BRANCH_MANAGER, branch=bj, username="bm_bj_w", code="BM101"),
        "am1": make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am1_w", code="AM001", name="王经理"),
        "am2": make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am2_w", code="AM002", name="李经理"),
        "am_bj": make_staff(Role.ACCOUNT_MANAGER, branch=bj, username="am_bj_w", code="AM101", name="赵经理"),
        "am_bj2": make_staff(Role.ACCOUNT_MANAGER, branch=bj, username="am_bj2_w", code="AM102", name="钱经理"),
    }
    clients = {
        "zhang": ClientFactory(name="张三", branch=sh, account_manager=u["am1"], account_id="8101000001",
                               email="zhang@example.com"),
        "zhao": ClientFactory(name="赵敏", branch=sh, account_manager=u["am1"], account_id="8101000002"),
        "li": ClientFactory(name="李四", branch=sh, account_manager=u["am2"], account_id="8101000003"),
        "li2": ClientFactory(name="李五", branch=sh, account_manager=u["am2"], account_id="8101000004"),
        "wang": ClientFactory(name="王五", branch=bj, account_manager=u["am_bj"], account_id="8101000005"),
        "sun": ClientFactory(name="孙六", branch=bj, account_manager=u["am_bj2"], account_id="8101000006"),
    }
    sides = {
        "in": Side(clients["zhang"], clients["zhao"], u["am1"], u["am2"], sh, "8109000001"),
        "out_am": Side(clients["li"], clients["li2"], u["am2"], u["am1"], sh, "8109000002"),
        "out": Side(clients["wang"], clients["sun"], u["am_bj"], u["am_bj2"], bj, "8109000003"),
    }
    admin = u["admin"]
    activity = service_services.activity_create(by=admin, kind="seminar", title="年度策略会",
                                                held_on=datetime.date(2030, 6, 1))
    axis = Axis.PURPOSE
    pin_value = AXIS_VALUES[axis].values[0]
    for n, (name, side) in enumerate(sides.items(), start=1):
        c = side.client
        ib = Intermediary.objects.create(
            code=f"IB00{n}", name=f"居间{name}", rebate_rate=Decimal("0.3000"), id_number="E12345678",
            contract_start=datetime.date(2024, 1, 1), contract_end=datetime.date(2030, 12, 31))
        IntermediaryLink.objects.create(client=c, intermediary=ib, valid_from=datetime.date(2024, 1, 1))
        ticket = service_services.ticket_open(by=admin, ticket_type="trading_consultation", channel="phone",
                                              subject="咨询保证金", client=c)
        resolved = service_services.ticket_open(by=admin, ticket_type="suggestion", channel="phone",
                                                subject="建议", client=c)
        service_services.ticket_transition(ticket=resolved, to_status="resolved", by=admin, note="已答复")
        caller = service_services.ticket_open(by=admin, ticket_type="market_consultation", channel="phone",
                                              subject="来电咨询", caller_phone=f"1390000000{n}")
        caller.owner = side.manager
        caller.save(update_fields=["owner"])
        side.objects.update(
            intermediary=ib,
            statement=RebateStatement.objects.create(intermediary=ib, month=datetime.date(2024, 12, 1),
                                                     rebate_rate=Decimal("0.3000"), drafted_by=admin),
            alert=SettlementAlert.objects.create(client=c, trade_date=datetime.date(2025, 1, 2), kind="margin_call",
                                                 amount=Decimal("1000.00")),
            suitability_alert=SuitabilityAlert.objects.create(
                client=c, product=Product.objects.get(exchange="CFFEX", code="IF"),
                trade_date=datetime.date(2025, 1, 2), lots=2, client_level="C3", product_level="R4"),
            ticket=ticket, resolved_ticket=resolved, caller_ticket=caller,
            task=Task.objects.create(client=c, kind="care", owner=side.manager, branch=side.branch,
                                     due_on=datetime.date(2030, 1, 1), title="回访"),
            prospect=service_services.prospect_create(by=side.manager, name=f"潜在客户{n}", source="staff"),
            referral=referral_create(by=admin, prospect_name=f"朋友{n}", referred_on=datetime.date(2025, 1, 2),
                                     referrer_client=c),
            membership=ClubMembership.objects.create(client=side.client2, level="standard",
                                                     joined_on=datetime.date(2024, 1, 1)),
            pin=SegmentOverride.objects.create(client=c, axis=axis, value=pin_value, reason="人工判断", by=admin),
            recipient=ActivityRecipient.objects.create(activity=activity, client=c, status="selected"),
            id_number=id_card_with_check(f"31010119900101{n}12"),  # for a declared relative
        )
    # A partial import leaves one open quarantined row (a commission that is not a number); the row it writes
    # is the stored settlement a rebate month must fall in (January 2025).
    batch = import_run(kind="accounts", rows=[account_row("8101000001", "2025-01-02"),
                                              account_row("8101000002", "2025-01-02", commission="abc")],
                       partial=True)
    row = batch.quarantined_rows.get()
    free = Intermediary.objects.create(code="IB900", name="新居间", rebate_rate=Decimal("0.2000"),
                                       contract_end=datetime.date(2030, 12, 31))
    for user in u.values():
        Notification.objects.create(recipient=user, message="待办提醒")
    world = World(users=u, sh=sh, bj=bj, sides=sides, objects={
        "clients": clients, "activity": activity, "quarantine_row": row, "free_intermediary": free,
        "pin_axis": axis, "pin_value": pin_value,
    })
    for actor in ACTORS:
        user = world.actor_user(actor)
        page = PageClient(raise_request_exception=False)
        page.force_login(user)
        rest = APIClient(raise_request_exception=False)
        rest.force_authenticate(user)
        world.pages[actor], world.apis[actor] = page, rest
    return world


# ---------------------------------------------------------------- helpers for payloads


def form_data(form: forms.BaseForm) -> dict:
    """What a browser posts back for an untouched form: every field's initial value, as text."""
    data = {}
    for name, fld in form.fields.items():
        if fld.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(fld, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            value = ""
        elif isinstance(value, list | tuple):
            value = [str(v) for v in value]
        elif isinstance(value, datetime.datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        else:
            value = str(value)
        data[bound.html_name] = value
    return data


def code_of(user) -> str:
    return user.staff_profile.employee_code


def fresh(obj):
    """The row as stored now (a payload mirrors the database, not an instance built with the world)."""
    return type(obj)._default_manager.get(pk=obj.pk)


def csv_upload(rows: list[dict]) -> SimpleUploadedFile:
    header = list(rows[0])
    text = ",".join(header) + "\n" + "".join(",".join(r[h] for h in header) + "\n" for r in rows)
    return SimpleUploadedFile("accounts.csv", text.encode(), content_type="text/csv")


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Page:
    """The page door: `route` exactly as the URLconf spells it (for `unregistered`), `action` when one route
    carries several forms; `url` and `data` build the request from a `Ctx`."""

    route: str
    url: Callable[[Ctx], str]
    data: Callable[[Ctx], dict]
    action: str = ""


@dataclass(frozen=True)
class Api:
    """An API door: the schema's method and path, and the request built from a `Ctx`."""

    method: str
    path: str
    url: Callable[[Ctx], str]
    data: Callable[[Ctx], dict]
    format: str = "json"

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Write:
    """One business write with its doors. `target(ctx)` returns the record the write acts on (it may create
    one; it runs inside the door's savepoint). `scopes`: ("in",) for firm-wide records."""

    id: str
    target: Callable[[Ctx], Any]
    page: Page | None = None
    apis: tuple[Api, ...] = ()
    only: str = ""  # why a door is missing: "API only: …" or "page only: …"
    scopes: tuple[str, ...] = SCOPES
    sanity_role: str = "admin"
    sanity_changes: bool = True
    own_account: bool = False  # the signed-in user's own account: open to every user, the API-only role too


def report_subscription(c: Ctx):
    """A dashboard subscription: the actor's own for the in-scope side, another user's otherwise."""
    from segmentation.models import ReportSubscription

    owner = c.user if c.side is c.w.sides["in"] else c.w.users["head" if c.actor == "admin" else "admin"]
    return ReportSubscription.objects.create(user=owner, frequency="weekly", format="pdf")


def side_client(c: Ctx):
    return c.side.client


def side_record(name):
    """A target taken from the side's records."""
    return lambda c: getattr(c.side, name)


def _action(form_prefix: str, action: str, values: dict) -> dict:
    return {"action": action, **{f"{form_prefix}-{k}" if form_prefix else k: v for k, v in values.items()}}


def _return_visit(client):
    from service.models import ReturnVisit

    return ReturnVisit.objects.create(client=client, reason="other", due_on=datetime.date(2030, 1, 1))


def client_edit_data(c: Ctx, **changes) -> dict:
    from clients.forms import ClientForm

    data = form_data(ClientForm(instance=fresh(c.obj), user=c.user, role=c.role))
    data.update(changes)
    return data


def client_put_data(c: Ctx, **changes) -> dict:
    from clients.api.serializers import ClientSerializer

    data = dict(ClientSerializer(fresh(c.obj)).data)
    for read_only in ("id", "profile_complete", "id_number_masked", "segments", "churn", "lifetime_value",
                      "loyalty", "id_number"):
        data.pop(read_only, None)
    data.update(changes)
    return data


def client_new(c: Ctx) -> dict:
    """The client a create makes on the target side: in that side's branch and its manager's book."""
    from clients.identity import id_card_with_check

    return {"account_id": c.side.new_account, "name": "新开户", "client_type": "individual", "id_type": "id_card",
            "id_number": id_card_with_check("11010119900101234"), "open_date": "2025-01-02", "status": "active"}


def client_create_page(c: Ctx) -> dict:
    from clients.forms import ClientForm

    data = form_data(ClientForm(user=c.user, role=c.role))
    data.update(client_new(c), branch=str(c.side.branch.pk), account_manager=str(c.side.manager.pk))
    return data


def intermediary_edit_data(c: Ctx, **changes) -> dict:
    from referrals.forms import IntermediaryForm

    data = form_data(IntermediaryForm(instance=fresh(c.obj)))
    data.update(changes)
    return data


def intermediary_put_data(c: Ctx, **changes) -> dict:
    from referrals.api.serializers import IntermediarySerializer

    data = dict(IntermediarySerializer(fresh(c.obj)).data)
    for read_only in ("id", "id_number_masked", "branch", "left_on"):
        data.pop(read_only, None)
    data.update(changes)
    return data


def policy_data(c: Ctx) -> dict:
    from segmentation.forms import PolicyForm
    from segmentation.services import current_policy

    data = form_data(PolicyForm(policy=current_policy()))
    data.update(note="调整阈值", fund_large="6000000")
    return data


def token_for(c: Ctx):
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=c.user)[0]


def quarantine_fixed(c: Ctx) -> dict:
    return {**c.obj.raw, "commission": "30.00", "balance": "99970.00", "equity": "99970.00",
            "available": "79970.00"}


def upload_data(c: Ctx) -> dict:
    return {"kind": "accounts", "encoding": "auto", "file": csv_upload([account_row("8101000002", "2025-01-03")])}


def _product(code: str):
    from clients.models import Product

    return Product.objects.get(code=code)


def _d(days: int = 0) -> str:
    return (today() + datetime.timedelta(days=days)).isoformat()


REGISTRY: list[Write] = [
    # ------------------------------------------------------------ clients
    Write(
        "client.create", target=lambda c: None,
        page=Page("clients/new/", lambda c: "/clients/new/", client_create_page),
        apis=(Api("POST", "/api/clients/", lambda c: "/api/clients/", lambda c: {
            **client_new(c), "branch": c.side.branch.code, "account_manager": code_of(c.side.manager)}),),
    ),
    Write(
        "client.update", target=side_client,
        page=Page("clients/<int:pk>/edit/", lambda c: f"/clients/{c.obj.pk}/edit/",
                  lambda c: client_edit_data(c, address="浦东新区世纪大道 100 号")),
        apis=(Api("PATCH", "/api/clients/{id}/", lambda c: f"/api/clients/{c.obj.pk}/",
                  lambda c: {"address": "浦东新区世纪大道 100 号"}),
              Api("PUT", "/api/clients/{id}/", lambda c: f"/api/clients/{c.obj.pk}/",
                  lambda c: client_put_data(c, address="浦东新区世纪大道 100 号"))),
    ),
    Write(
        "client.contact_log", target=side_client,
        page=Page("clients/<int:pk>/contacts/", lambda c: f"/clients/{c.obj.pk}/contacts/", lambda c: {
            "contacted_at": "2025-01-02 10:00", "channel": "phone", "summary": "电话回访", "place": "",
            "impression": "", "next_step": ""}),
        apis=(Api("POST", "/api/clients/{id}/contacts/", lambda c: f"/api/clients/{c.obj.pk}/contacts/", lambda c: {
            "contacted_at": "2025-01-02T10:00:00+08:00", "channel": "phone", "summary": "电话回访"}),),
    ),
    Write(
        "client.suitability", target=side_client,
        page=Page("clients/<int:pk>/suitability/", lambda c: f"/clients/{c.obj.pk}/suitability/", lambda c: {
            "investor_class": "ordinary", "risk_level": "C3", "knowledge_score": "80", "assessed_on": _d(),
            "expires_on": _d(730)}),
        only="page only: no API operation records a suitability assessment",
    ),
    Write(
        "client.eligibility", target=side_client,
        page=Page("clients/<int:pk>/eligibility/", lambda c: f"/clients/{c.obj.pk}/eligibility/", lambda c: {
            "kind": "knowledge_test", "dated_on": _d(), "score": "85", "evidence_ref": "中金所知识测试"}),
        only="page only: eligibility evidence is recorded with the assessment, on the client page",
    ),
    Write(
        "client.key_propose", target=side_client,
        page=Page("clients/<int:pk>/key-client/", lambda c: f"/clients/{c.obj.pk}/key-client/",
                  lambda c: {"decision": "propose", "note": "年成交额大"}),
        apis=(Api("POST", "/api/clients/{id}/key-client/", lambda c: f"/api/clients/{c.obj.pk}/key-client/",
                  lambda c: {"decision": "propose", "note": "年成交额大"}),),
    ),
    Write(
        "client.reveal_id", target=side_client,
        page=Page("clients/<int:pk>/reveal-id/", lambda c: f"/clients/{c.obj.pk}/reveal-id/", lambda c: {}),
        only="page only: the client API never returns a full ID number (the reveal is audited on the page)",
    ),
    # Consent is recorded by the client's editors (their scope applies) and by the service desk, which records
    # what a caller says (so "on a call" only); marketing and compliance read it, they do not record it.
    Write(
        "client.consent", target=side_client,
        page=Page("privacy/clients/<int:client_pk>/consents/", lambda c: f"/privacy/clients/{c.obj.pk}/consents/",
                  lambda c: {"channel": "sms", "purpose": "marketing", "given": "0", "how": "call",
                             "evidence": "", "at": ""}),
        apis=(Api("POST", "/api/clients/{client_pk}/consents/", lambda c: f"/api/clients/{c.obj.pk}/consents/",
                  lambda c: {"channel": "sms", "purpose": "marketing", "given": False, "how": "call"}),),
    ),
    # ------------------------------------------------------------ settlement import, quarantine, alerts
    Write(
        "import.upload", target=lambda c: None, scopes=("in",),
        page=Page("clients/imports/", lambda c: "/clients/imports/", upload_data),
        apis=(Api("POST", "/api/imports/", lambda c: "/api/imports/", upload_data, format="multipart"),),
    ),
    Write(
        "quarantine.rerun", target=lambda c: c.w.quarantine_row, scopes=("in",),
        page=Page("clients/imports/quarantine/<int:pk>/", lambda c: f"/clients/imports/quarantine/{c.obj.pk}/",
                  quarantine_fixed, action="fix"),
        apis=(Api("POST", "/api/quarantine/{id}/rerun/", lambda c: f"/api/quarantine/{c.obj.pk}/rerun/",
                  lambda c: {"raw": quarantine_fixed(c)}),),
    ),
    Write(
        "quarantine.discard", target=lambda c: c.w.quarantine_row, scopes=("in",),
        page=Page("clients/imports/quarantine/<int:pk>/", lambda c: f"/clients/imports/quarantine/{c.obj.pk}/",
                  lambda c: {"discard": "1"}, action="discard"),
        apis=(Api("POST", "/api/quarantine/{id}/discard/", lambda c: f"/api/quarantine/{c.obj.pk}/discard/",
                  lambda c: {}),),
    ),
    Write(
        "alert.acknowledge", target=side_record("alert"),
        page=Page("clients/alerts/<int:pk>/acknowledge/", lambda c: f"/clients/alerts/{c.obj.pk}/acknowledge/",
                  lambda c: {}),
        apis=(Api("POST", "/api/alerts/{id}/acknowledge/", lambda c: f"/api/alerts/{c.obj.pk}/acknowledge/",
                  lambda c: {}),),
    ),
    Write(
        "suitability_alert.resolve", target=side_record("suitability_alert"),
        page=Page("clients/suitability-alerts/<int:pk>/resolve/",
                  lambda c: f"/clients/suitability-alerts/{c.obj.pk}/resolve/", lambda c: {}),
        only="page only: compliance resolves mismatch alerts on the suitability worklist",
    ),
    Write(
        "product.update", target=lambda c: _product("lc"), scopes=("in",),
        page=Page("clients/products/<int:pk>/edit/", lambda c: f"/clients/products/{c.obj.pk}/edit/", lambda c: {
            "name": "碳酸锂", "product_class": "commodity_future", "risk_level": "R4", "min_funds": "100000",
            "needs_knowledge_test": "on", "needs_trading_experience": "on"}),
        only="page only: GET /api/products/ is read-only; compliance edits the risk table on its page",
    ),
    # ------------------------------------------------------------ account managers
    Write(
        "client.reassign", target=side_client,
        page=Page("relationships/clients/<int:pk>/assign/", lambda c: f"/relationships/clients/{c.obj.pk}/assign/",
                  lambda c: {"to_manager": str(c.side.peer.pk), "reason": "客户要求更换"}),
        apis=(Api("POST", "/api/manager-assignments/", lambda c: "/api/manager-assignments/", lambda c: {
            "client": c.obj.account_id, "to_manager": code_of(c.side.peer), "reason": "客户要求更换"}),),
    ),
    Write(
        "manager.handover", target=lambda c: c.side.peer,
        page=Page("relationships/handover/", lambda c: "/relationships/handover/", lambda c: {
            "leaving_manager": str(c.obj.pk), "successors": [str(c.side.manager.pk)], "strategy": "count",
            "reason": "离职", "notice_channel": "phone"}),
        apis=(Api("POST", "/api/handovers/", lambda c: "/api/handovers/", lambda c: {
            "leaving_manager": code_of(c.obj), "successors": [code_of(c.side.manager)], "strategy": "count",
            "reason": "离职", "confirm": True}),),
    ),
    # ------------------------------------------------------------ intermediaries and rebates
    Write(
        "intermediary.create", target=lambda c: None, scopes=("in",),
        page=Page("relationships/intermediaries/new/", lambda c: "/relationships/intermediaries/new/", lambda c: {
            "code": "IB777", "name": "孙居间", "kind": "person", "status": "active", "id_number": "",
            "phone": "", "qualification_certificate": "", "association_registration": "", "contract_start": "",
            "contract_end": "2030-12-31", "exclusive": "on", "rebate_rate": "0.3000", "exchange_rebate_share": "",
            "branch": ""}),
        apis=(Api("POST", "/api/intermediaries/", lambda c: "/api/intermediaries/", lambda c: {
            "code": "IB777", "name": "孙居间", "kind": "person", "status": "active", "contract_end": "2030-12-31",
            "rebate_rate": "0.3000"}),),
    ),
    Write(
        "intermediary.update", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/edit/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/edit/",
                  lambda c: intermediary_edit_data(c, phone="13700001111")),
        apis=(Api("PATCH", "/api/intermediaries/{id}/", lambda c: f"/api/intermediaries/{c.obj.pk}/",
                  lambda c: {"phone": "13700001111"}),
              Api("PUT", "/api/intermediaries/{id}/", lambda c: f"/api/intermediaries/{c.obj.pk}/",
                  lambda c: intermediary_put_data(c, phone="13700001111"))),
    ),
    Write(
        "intermediary.reveal_id", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/reveal-id/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/reveal-id/", lambda c: {}),
        apis=(Api("POST", "/api/intermediaries/{id}/reveal-id/",
                  lambda c: f"/api/intermediaries/{c.obj.pk}/reveal-id/", lambda c: {}),),
    ),
    Write(
        "intermediary.leave", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/leave/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/leave/", lambda c: {
                      "left_on": _d(), "reason": "合同终止",
                      f"to_{c.side.client.account_id}": f"manager:{code_of(c.side.peer)}"}),
        apis=(Api("POST", "/api/intermediaries/{id}/leave/", lambda c: f"/api/intermediaries/{c.obj.pk}/leave/",
                  lambda c: {"left_on": _d(), "reason": "合同终止",
                             "transfers": {c.side.client.account_id: f"manager:{code_of(c.side.peer)}"}}),),
    ),
    Write(
        "intermediary.training", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/<str:action>/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/training/",
                  lambda c: _action("training", "training", {"trained_on": "2025-01-02", "hours": "4.0",
                                                             "topic": "合规培训"}), action="training"),
        apis=(Api("POST", "/api/intermediaries/{id}/trainings/",
                  lambda c: f"/api/intermediaries/{c.obj.pk}/trainings/",
                  lambda c: {"trained_on": "2025-01-02", "hours": "4.0", "topic": "合规培训"}),),
    ),
    Write(
        "intermediary.relative", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/<str:action>/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/relative/",
                  lambda c: _action("relative", "relative", {"name": "周小妹", "relation": "妹妹",
                                                             "id_number": c.side.id_number}), action="relative"),
        apis=(Api("POST", "/api/intermediaries/{id}/relatives/",
                  lambda c: f"/api/intermediaries/{c.obj.pk}/relatives/",
                  lambda c: {"name": "周小妹", "relation": "妹妹", "id_number": c.side.id_number}),),
    ),
    Write(
        "intermediary.link", target=side_client,
        page=Page("relationships/intermediaries/<int:pk>/<str:action>/",
                  lambda c: f"/relationships/intermediaries/{c.w.free_intermediary.pk}/link/",
                  lambda c: _action("link", "link", {"client": c.obj.account_id, "valid_from": "2025-02-01",
                                                     "reason": "客户改由新居间服务"}), action="link"),
        apis=(Api("POST", "/api/intermediary-links/", lambda c: "/api/intermediary-links/", lambda c: {
            "client": c.obj.account_id, "intermediary": c.w.free_intermediary.code, "valid_from": "2025-02-01",
            "reason": "客户改由新居间服务"}),),
    ),
    Write(
        "rebate.draft", target=side_record("intermediary"),
        page=Page("relationships/intermediaries/<int:pk>/<str:action>/",
                  lambda c: f"/relationships/intermediaries/{c.obj.pk}/draft/",
                  lambda c: _action("draft", "draft", {"month": "2025-01", "exchange_refund_rate": "0"}),
                  action="draft"),
        apis=(Api("POST", "/api/rebate-statements/draft/", lambda c: "/api/rebate-statements/draft/", lambda c: {
            "intermediary": c.obj.code, "month": "2025-01-01", "exchange_refund_rate": "0"}),),
    ),
    Write(
        "rebate.confirm", target=side_record("statement"),
        page=Page("relationships/intermediaries/<int:pk>/statements/<str:month>/",
                  lambda c: f"/relationships/intermediaries/{c.obj.intermediary_id}/statements/2024-12/",
                  lambda c: {}),
        apis=(Api("POST", "/api/rebate-statements/{id}/confirm/",
                  lambda c: f"/api/rebate-statements/{c.obj.pk}/confirm/", lambda c: {}),),
    ),
    # ------------------------------------------------------------ referrals and the club
    Write(
        "referral.create", target=side_client,
        page=Page("relationships/referrals/new/", lambda c: "/relationships/referrals/new/", lambda c: {
            "referrer_account": c.obj.account_id, "prospect_name": "新朋友", "prospect_phone": "13911112222",
            "referred_account": "", "referred_on": "2025-01-02", "note": ""}),
        apis=(Api("POST", "/api/referrals/", lambda c: "/api/referrals/", lambda c: {
            "referrer_client": c.obj.account_id, "prospect_name": "新朋友", "prospect_phone": "13911112222",
            "referred_on": "2025-01-02"}),),
    ),
    Write(
        "referral.advance", target=side_record("referral"),
        page=Page("relationships/referrals/<int:pk>/", lambda c: f"/relationships/referrals/{c.obj.pk}/",
                  lambda c: _action("advance", "advance", {"status": "contacted", "on": "2025-01-03",
                                                           "referred_account": ""}), action="advance"),
        apis=(Api("POST", "/api/referrals/{id}/advance/", lambda c: f"/api/referrals/{c.obj.pk}/advance/",
                  lambda c: {"status": "contacted", "on": "2025-01-03"}),),
    ),
    Write(
        "referral.reward", target=side_record("referral"),
        page=Page("relationships/referrals/<int:pk>/", lambda c: f"/relationships/referrals/{c.obj.pk}/",
                  lambda c: _action("reward", "reward", {"what": "购物卡", "amount": "500.00",
                                                         "given_on": "2025-01-03"}), action="reward"),
        apis=(Api("POST", "/api/referrals/{id}/rewards/", lambda c: f"/api/referrals/{c.obj.pk}/rewards/",
                  lambda c: {"what": "购物卡", "amount": "500.00", "given_on": "2025-01-03"}),),
    ),
    Write(
        "club.enrol", target=side_client,
        page=Page("relationships/clients/<int:pk>/club/", lambda c: f"/relationships/clients/{c.obj.pk}/club/",
                  lambda c: {"level": "gold", "status": "active", "joined_on": "2025-01-02"}, action="enrol"),
        apis=(Api("POST", "/api/club-members/", lambda c: "/api/club-members/", lambda c: {
            "client": c.obj.account_id, "level": "gold", "status": "active", "joined_on": "2025-01-02"}),),
    ),
    Write(
        "club.change", target=side_record("membership"),
        page=Page("relationships/clients/<int:pk>/club/", lambda c: f"/relationships/clients/{c.obj.client_id}/club/",
                  lambda c: {"level": "silver", "status": "active", "joined_on": "2024-01-01"}, action="change"),
        apis=(Api("PATCH", "/api/club-members/{id}/", lambda c: f"/api/club-members/{c.obj.pk}/",
                  lambda c: {"level": "silver"}),
              Api("PUT", "/api/club-members/{id}/", lambda c: f"/api/club-members/{c.obj.pk}/", lambda c: {
                  "client": c.obj.client.account_id, "level": "silver", "status": "active",
                  "joined_on": "2024-01-01"})),
    ),
    # ------------------------------------------------------------ tickets
    Write(
        "ticket.open", target=side_client,
        page=Page("service/tickets/new/", lambda c: "/service/tickets/new/", lambda c: {
            "client": str(c.obj.pk), "ticket_type": "trading_consultation", "channel": "phone",
            "priority": "normal", "subject": "询问手续费", "description": "", "caller_phone": "", "queue": ""}),
        apis=(Api("POST", "/api/tickets/", lambda c: "/api/tickets/", lambda c: {
            "client": c.obj.pk, "ticket_type": "trading_consultation", "channel": "phone", "priority": "normal",
            "subject": "询问手续费"}),),
    ),
    Write(
        "ticket.transition", target=side_record("ticket"),
        page=Page("service/tickets/<int:pk>/", lambda c: f"/service/tickets/{c.obj.pk}/",
                  lambda c: _action("", "status", {"to_status": "in_progress", "note": "处理中"}), action="status"),
        apis=(Api("POST", "/api/tickets/{id}/transition/", lambda c: f"/api/tickets/{c.obj.pk}/transition/",
                  lambda c: {"to_status": "in_progress", "note": "处理中"}),),
    ),
    Write(
        "ticket.comment", target=side_record("ticket"),
        page=Page("service/tickets/<int:pk>/", lambda c: f"/service/tickets/{c.obj.pk}/",
                  lambda c: _action("", "comment", {"text": "已回电"}), action="comment"),
        apis=(Api("POST", "/api/tickets/{id}/comment/", lambda c: f"/api/tickets/{c.obj.pk}/comment/",
                  lambda c: {"text": "已回电"}),),
    ),
    Write(
        "ticket.assign", target=side_record("ticket"),
        page=Page("service/tickets/<int:pk>/", lambda c: f"/service/tickets/{c.obj.pk}/",
                  lambda c: _action("", "assign", {"owner": str(c.side.manager.pk), "queue": "service_desk",
                                                   "reason": "转客服"}), action="assign"),
        apis=(Api("POST", "/api/tickets/{id}/assign/", lambda c: f"/api/tickets/{c.obj.pk}/assign/", lambda c: {
            "owner": c.side.manager.username, "queue": "service_desk", "reason": "转客服"}),),
    ),
    Write(
        "ticket.satisfaction", target=side_record("resolved_ticket"),
        page=Page("service/tickets/<int:pk>/", lambda c: f"/service/tickets/{c.obj.pk}/",
                  lambda c: _action("", "satisfaction", {"score": "9"}), action="satisfaction"),
        apis=(Api("POST", "/api/tickets/{id}/satisfaction/", lambda c: f"/api/tickets/{c.obj.pk}/satisfaction/",
                  lambda c: {"score": 9}),),
    ),
    Write(
        "ticket.link", target=side_record("caller_ticket"),
        page=Page("service/tickets/<int:pk>/", lambda c: f"/service/tickets/{c.obj.pk}/",
                  lambda c: _action("", "link", {"account_id": c.side.client.account_id}), action="link"),
        apis=(Api("POST", "/api/tickets/{id}/link/", lambda c: f"/api/tickets/{c.obj.pk}/link/",
                  lambda c: {"account_id": c.side.client.account_id}),),
    ),
    # ------------------------------------------------------------ tasks
    Write(
        "task.create", target=side_client,
        page=Page("service/clients/<int:client_pk>/task/", lambda c: f"/service/clients/{c.obj.pk}/task/",
                  lambda c: {"kind": "call_back", "title": "回电", "due_on": "2030-01-02", "owner": ""}),
        apis=(Api("POST", "/api/tasks/", lambda c: "/api/tasks/", lambda c: {
            "account_id": c.obj.account_id, "kind": "call_back", "title": "回电", "due_on": "2030-01-02"}),),
    ),
    Write(
        "task.complete", target=side_record("task"),
        page=Page("service/tasks/<int:pk>/complete/", lambda c: f"/service/tasks/{c.obj.pk}/complete/",
                  lambda c: _action("", "complete", {"outcome": "已联系"}), action="complete"),
        apis=(Api("POST", "/api/tasks/{id}/complete/", lambda c: f"/api/tasks/{c.obj.pk}/complete/",
                  lambda c: {"outcome": "已联系"}),),
    ),
    # ------------------------------------------------------------ prospects
    Write(
        "prospect.create", target=lambda c: None, scopes=("in",),
        page=Page("service/prospects/new/", lambda c: "/service/prospects/new/", lambda c: {
            "name": "陈潜客", "phone": "13922223333", "email": "", "grade": "C", "source": "staff",
            "intermediary_code": "", "notes": ""}),
        apis=(Api("POST", "/api/prospects/", lambda c: "/api/prospects/", lambda c: {
            "name": "陈潜客", "phone": "13922223333", "grade": "C", "source": "staff"}),),
    ),
    Write(
        "prospect.visit", target=side_record("prospect"),
        page=Page("service/prospects/<int:pk>/", lambda c: f"/service/prospects/{c.obj.pk}/",
                  lambda c: _action("", "visit", {"said": "有意开户", "at": "", "place": "", "impression": "",
                                                  "failure_reason": "", "service_given": "", "assessment": ""}),
                  action="visit"),
        apis=(Api("POST", "/api/prospects/{id}/visits/", lambda c: f"/api/prospects/{c.obj.pk}/visits/",
                  lambda c: {"said": "有意开户"}),),
    ),
    Write(
        "prospect.grade", target=side_record("prospect"),
        page=Page("service/prospects/<int:pk>/", lambda c: f"/service/prospects/{c.obj.pk}/",
                  lambda c: _action("", "grade", {"grade": "B", "reason": "资金到位"}), action="grade"),
        apis=(Api("POST", "/api/prospects/{id}/grade/", lambda c: f"/api/prospects/{c.obj.pk}/grade/",
                  lambda c: {"grade": "B", "reason": "资金到位"}),),
    ),
    Write(
        "prospect.convert", target=side_record("prospect"),
        page=Page("service/prospects/<int:pk>/", lambda c: f"/service/prospects/{c.obj.pk}/",
                  lambda c: _action("", "convert", {"account_id": c.side.client.account_id}), action="convert"),
        apis=(Api("POST", "/api/prospects/{id}/convert/", lambda c: f"/api/prospects/{c.obj.pk}/convert/",
                  lambda c: {"account_id": c.side.client.account_id}),),
    ),
    # ------------------------------------------------------------ activities and campaigns
    Write(
        "activity.create", target=lambda c: None, scopes=("in",),
        page=Page("service/activities/new/", lambda c: "/service/activities/new/", lambda c: {
            "kind": "seminar", "title": "套保讲座", "held_on": "2030-03-01", "place": "上海", "cost": "800.00",
            "description": ""}),
        apis=(Api("POST", "/api/activities/", lambda c: "/api/activities/", lambda c: {
            "kind": "seminar", "title": "套保讲座", "held_on": "2030-03-01", "place": "上海", "cost": "800.00"}),),
    ),
    Write(
        "activity.target", target=lambda c: c.w.activity,
        page=Page("service/activities/<int:pk>/", lambda c: f"/service/activities/{c.obj.pk}/",
                  lambda c: {"action": "target", "branch": str(c.side.branch.pk)}, action="target"),
        apis=(Api("POST", "/api/activities/{id}/target/", lambda c: f"/api/activities/{c.obj.pk}/target/",
                  lambda c: {"branch": str(c.side.branch.pk)}),),
    ),
    Write(
        "activity.target_prospects", target=lambda c: c.w.activity,
        page=Page("service/activities/<int:pk>/", lambda c: f"/service/activities/{c.obj.pk}/",
                  lambda c: {"action": "target_prospects", "branch": str(c.side.branch.pk)},
                  action="target_prospects"),
        apis=(Api("POST", "/api/activities/{id}/target-prospects/",
                  lambda c: f"/api/activities/{c.obj.pk}/target-prospects/",
                  lambda c: {"branch": str(c.side.branch.pk)}),),
    ),
    Write(
        "activity.invite", target=lambda c: c.w.activity, scopes=("in",),
        page=Page("service/activities/<int:pk>/", lambda c: f"/service/activities/{c.obj.pk}/",
                  lambda c: {"action": "invite", "channel": "", "template": ""}, action="invite"),
        apis=(Api("POST", "/api/activities/{id}/invite/", lambda c: f"/api/activities/{c.obj.pk}/invite/",
                  lambda c: {"channel": ""}),),
    ),
    Write(
        "activity.recipient", target=side_record("recipient"),
        page=Page("service/activities/<int:pk>/", lambda c: f"/service/activities/{c.obj.activity_id}/",
                  lambda c: {"action": "recipient", "recipient": str(c.obj.pk), "status": "accepted",
                             "response": "会参加"}, action="recipient"),
        only="page only: the API lists recipients but records no response",
    ),
    # ------------------------------------------------------------ surveys and messages
    Write(
        "survey.record", target=side_client,
        page=Page("service/clients/<int:client_pk>/survey/", lambda c: f"/service/clients/{c.obj.pk}/survey/",
                  lambda c: {"satisfaction": "8", "trades_elsewhere": "no", "suggestion": "", "comments": ""}),
        apis=(Api("POST", "/api/surveys/", lambda c: "/api/surveys/", lambda c: {
            "client": c.obj.pk, "satisfaction": 8, "trades_elsewhere": False}),),
    ),
    # Return visits: the client's account manager (own clients), the service desk and compliance record them.
    Write(
        "return_visit.record", target=lambda c: _return_visit(c.side.client),
        page=Page("service/return-visits/<int:pk>/record/", lambda c: f"/service/return-visits/{c.obj.pk}/record/",
                  lambda c: {"channel": "phone", "questions": "居间人是否承诺收益？", "answers": "没有",
                             "notes": ""}),
        apis=(Api("POST", "/api/return-visits/{id}/record/", lambda c: f"/api/return-visits/{c.obj.pk}/record/",
                  lambda c: {"channel": "phone", "questions": "居间人是否承诺收益？", "answers": "没有"}),),
    ),
    Write(
        "message.send", target=side_client,
        page=Page("service/clients/<int:client_pk>/message/", lambda c: f"/service/clients/{c.obj.pk}/message/",
                  lambda c: {"channel": "sms", "template": "", "subject": "", "body": "您好，行情提示"}),
        apis=(Api("POST", "/api/communications/", lambda c: "/api/communications/", lambda c: {
            "client": c.obj.pk, "channel": "sms", "body": "您好，行情提示"}),),
    ),
    # ------------------------------------------------------------ service pages with one door
    Write(
        "notifications.mark_read", target=lambda c: None, scopes=("in",),
        page=Page("service/my-day/", lambda c: "/service/my-day/", lambda c: {}),
        only="page only: one's own notifications; the API has no notification operation",
    ),
    Write(
        "deadline_policy.set", target=lambda c: None, scopes=("in",),
        page=Page("service/tickets/deadlines/", lambda c: "/service/tickets/deadlines/", lambda c: {
            "complaint-high-amount": "3", "complaint-high-unit": "trading_days"}),
        only="page only: the deadline table is kept on its page",
    ),
    Write(
        "care.run", target=lambda c: None, scopes=("in",), sanity_changes=False,
        page=Page("service/care/", lambda c: "/service/care/", lambda c: {"on": "2025-01-02"}),
        only="page only: the nightly beat runs care plans; the page runs them by hand",
    ),
    Write(
        "account.token_revoke", target=token_for, scopes=("in",),
        page=Page("account/", lambda c: "/account/", lambda c: {}),
        only="page only: one's own API token (issue 11's doors part adds revocation by an administrator)",
        own_account=True,
    ),
    # ------------------------------------------------------------ segmentation
    Write(
        "nightly.start", target=lambda c: None, scopes=("in",), sanity_changes=False,  # enqueued after commit
        page=Page("segments/runs/", lambda c: "/segments/runs/", lambda c: {"day": ""}),
        apis=(Api("POST", "/api/segmentation/runs/start/", lambda c: "/api/segmentation/runs/start/",
                  lambda c: {}),),
    ),
    Write(
        "policy.create", target=lambda c: None, scopes=("in",),
        page=Page("segments/policy/", lambda c: "/segments/policy/", policy_data),
        only="page only: policy versions are edited on their page",
    ),
    Write(
        "segment.override", target=side_client,
        page=Page("segments/clients/<int:pk>/override/", lambda c: f"/segments/clients/{c.obj.pk}/override/",
                  lambda c: {"axis": c.w.pin_axis, "value": c.w.pin_value, "reason": "客户确认为套保户",
                             "expires_on": ""}),
        only="page only: pins are set from the client page",
    ),
    Write(
        "segment.override_remove", target=side_record("pin"),
        page=Page("segments/overrides/<int:pk>/remove/", lambda c: f"/segments/overrides/{c.obj.pk}/remove/",
                  lambda c: {}),
        only="page only: pins are removed from the client page",
    ),
    Write(
        "scorecard.target_set", target=lambda c: c.side.manager,
        page=Page("segments/scorecard/<str:code>/targets/",
                  lambda c: f"/segments/scorecard/{code_of(c.obj)}/targets/",
                  lambda c: {"month": "2025-01", "new": "5", "net_commission": "1000.00", "equity": "",
                             "contacts": "20", "retention_rate": "90"}),
        only="page only: the scorecard's targets are set on the manager's scorecard",
    ),
    Write(
        "report.subscribe", target=lambda c: c.side.manager,
        page=Page("segments/reports/", lambda c: "/segments/reports/",
                  lambda c: {"action": "subscribe", "scope": f"manager:{c.obj.pk}", "frequency": "weekly",
                             "format": "pdf"}, action="subscribe"),
        apis=(Api("POST", "/api/report-subscriptions/", lambda c: "/api/report-subscriptions/",
                  lambda c: {"scope": f"manager:{c.obj.pk}", "frequency": "weekly", "format": "pdf"}),),
    ),
    Write(
        "report.change", target=report_subscription,
        apis=(Api("PATCH", "/api/report-subscriptions/{id}/", lambda c: f"/api/report-subscriptions/{c.obj.pk}/",
                  lambda c: {"format": "xlsx"}),),
        only="API only: on the page one changes a report's format by subscribing again (report.subscribe)",
    ),
    Write(
        "report.unsubscribe", target=report_subscription,
        page=Page("segments/reports/", lambda c: "/segments/reports/",
                  lambda c: {"action": "unsubscribe", "subscription": c.obj.pk}, action="unsubscribe"),
        apis=(Api("DELETE", "/api/report-subscriptions/{id}/", lambda c: f"/api/report-subscriptions/{c.obj.pk}/",
                  lambda c: {}),),
    ),
]

WRITES = {w.id: w for w in REGISTRY}

# URL routes that accept POST but write no business record; each with the reason it is not in the registry.
EXEMPT_ROUTES: dict[str, str] = {
    "login/": "signing in (lockout and audit: tests/test_security.py)",
    "logout/": "signing out: ends one's own session",
    "i18n/setlang/": "the interface language: a cookie, no record",
    "account/password/": "one's own password, behind the old one (tests/test_security.py)",
}
EXEMPT_PREFIXES: dict[str, str] = {
    "admin/": "the Django admin: configuration data (branches, staff, templates) for `is_staff` users only; "
              "none of the eight roles is staff, and Django's model permissions guard it",
}


# ---------------------------------------------------------------- the bypass cases


@dataclass(frozen=True)
class Bypass:
    """A variation of a registered write that must not go through on any door.

    `page` and `api` take (ctx, the write's valid payload) and return the payload to send (None: that door
    cannot express it and is not tried); `apis` names the write's API doors to try (default: the first).
    `guard(ctx)` is the state the write must leave as it was.
    """

    id: str
    write: str
    actor: str
    description: str
    guard: Callable[[Ctx], Any]
    page: Callable[[Ctx, dict], dict] | None = None
    api: Callable[[Ctx, dict], dict] | None = None
    apis: tuple[str, ...] = ()
    scope: str = "in"


def client_fields(*names):
    def guard(c: Ctx):
        from clients.models import Client
        from referrals.models import ManagerAssignment

        values = Client.objects.filter(pk=c.side.client.pk).values(*names).get()
        return values, ManagerAssignment.objects.filter(client_id=c.side.client.pk).count()
    return guard


def count_of(model_path: str, **filters):
    def guard(c: Ctx):
        from django.apps import apps

        return apps.get_model(model_path).objects.filter(**{k: v(c) if callable(v) else v
                                                            for k, v in filters.items()}).count()
    return guard


def merge(**changes):
    """A payload variation: the valid payload with `changes` (values may be functions of the ctx)."""
    return lambda c, base: {**base, **{k: v(c) if callable(v) else v for k, v in changes.items()}}


def only(**fields):
    """A PATCH body of just `fields` (values may be functions of the ctx)."""
    return lambda c, base: {k: v(c) if callable(v) else v for k, v in fields.items()}


PATCH_CLIENT = ("PATCH /api/clients/{id}/",)

BYPASSES: list[Bypass] = [
    Bypass("am-client-branch", "client.update", "am",
           "an account manager moves their own client to another branch",
           client_fields("branch_id", "account_manager_id"),
           page=merge(branch=lambda c: str(c.w.bj.pk)), api=only(branch="BJ01"), apis=PATCH_CLIENT),
    Bypass("am-client-manager-peer", "client.update", "am",
           "an account manager moves their own client into another manager's book (no assignment history)",
           client_fields("branch_id", "account_manager_id"),
           page=merge(account_manager=lambda c: str(c.w.users["am2"].pk)), api=only(account_manager="AM002"),
           apis=PATCH_CLIENT),
    Bypass("am-client-manager-agent", "client.update", "am",
           "an account manager hands their own client to a service agent",
           client_fields("branch_id", "account_manager_id"),
           page=merge(account_manager=lambda c: str(c.w.users["agent"].pk)), api=only(account_manager="SA001"),
           apis=PATCH_CLIENT),
    Bypass("am-client-create-other-branch", "client.create", "am",
           "an account manager opens a client straight into another branch's book",
           count_of("clients.Client", account_id=lambda c: c.side.new_account),
           page=merge(branch=lambda c: str(c.w.bj.pk)),
           api=lambda c, base: {**{k: v for k, v in base.items() if k != "account_manager"}, "branch": "BJ01"}),
    Bypass("am-client-birthday-2099", "client.update", "am",
           "an account manager sets a birthday in 2099", client_fields("birthday"),
           page=merge(birthday="2099-01-01"), api=only(birthday="2099-01-01"), apis=PATCH_CLIENT),
    Bypass("am-client-risk-c5", "client.update", "am",
           "an account manager sets risk level C5 without a suitability assessment",
           client_fields("risk_level", "investor_class"),
           page=merge(risk_level="C5"), api=only(risk_level="C5"), apis=PATCH_CLIENT),
    Bypass("am-client-professional", "client.update", "am",
           "an account manager makes their client a professional investor without an assessment",
           client_fields("risk_level", "investor_class"),
           page=merge(investor_class="professional"), api=only(investor_class="professional"), apis=PATCH_CLIENT),
    Bypass("am-client-is-key", "client.update", "am",
           "an account manager marks their own client key (the branch manager decides)", client_fields("is_key"),
           page=merge(is_key="on"), api=only(is_key=True), apis=PATCH_CLIENT),
    Bypass("am-client-status", "client.update", "am",
           "an account manager changes their client's status (the branch manager decides)",
           client_fields("status"),
           page=merge(status="dormant"), api=only(status="dormant"), apis=PATCH_CLIENT),
    Bypass("head-client-open-date-0001", "client.update", "head",
           "an open date in year 0001", client_fields("open_date"),
           page=merge(open_date="0001-01-01"), api=only(open_date="0001-01-01"), apis=PATCH_CLIENT),
    Bypass("bm-assign-other-branch", "client.reassign", "bm",
           "a branch manager assigns their client to another branch's manager",
           client_fields("branch_id", "account_manager_id"),
           page=merge(to_manager=lambda c: str(c.w.users["am_bj"].pk)), api=merge(to_manager="AM101")),
    Bypass("bm-assign-backoffice", "client.reassign", "bm",
           "a branch manager assigns their client to the back-office system account",
           client_fields("branch_id", "account_manager_id"),
           page=merge(to_manager=lambda c: str(c.w.users["backoffice"].pk)), api=merge(to_manager="BO001")),
    Bypass("am-task-owner-outsider", "task.create", "am",
           "a task on one's client owned by a manager of another branch (who may not see the client)",
           count_of("service.Task", client_id=lambda c: c.side.client.pk),
           page=merge(owner=lambda c: str(c.w.users["am_bj"].pk)),
           api=merge(owner=lambda c: c.w.users["am_bj"].username)),
    Bypass("mkt-activity-target-unknown-filter", "activity.target", "marketing",
           'targeting with an unknown filter ({"club_member": "true"}) selects every client of the firm',
           count_of("service.ActivityRecipient", activity_id=lambda c: c.w.activity.pk),
           page=lambda c, base: {"action": "target", "club_member": "true"},
           api=lambda c, base: {"club_member": "true"}),
    Bypass("mkt-activity-target-prospects-unknown-filter", "activity.target_prospects", "marketing",
           'targeting prospects with an unknown filter ({"colour": "red"}) selects every prospect of the firm',
           count_of("service.ActivityRecipient", activity_id=lambda c: c.w.activity.pk),
           page=lambda c, base: {"action": "target_prospects", "colour": "red"},
           api=lambda c, base: {"colour": "red"}),
    Bypass("comp-training-negative-hours", "intermediary.training", "compliance", "negative training hours",
           count_of("referrals.IntermediaryTraining"),
           page=merge(**{"training-hours": "-5.0"}), api=merge(hours="-5.0")),
    Bypass("comp-training-date-0001", "intermediary.training", "compliance", "a training dated in year 0001",
           count_of("referrals.IntermediaryTraining"),
           page=merge(**{"training-trained_on": "0001-01-01"}), api=merge(trained_on="0001-01-01")),
    Bypass("mkt-reward-negative", "referral.reward", "marketing", "a referral reward of −1,000,000,000",
           count_of("referrals.ReferralReward"),
           page=merge(**{"reward-amount": "-1000000000.00"}), api=merge(amount="-1000000000.00")),
    Bypass("mkt-activity-cost-negative", "activity.create", "marketing", "an activity costing −1",
           count_of("service.Activity"), page=merge(cost="-1.00"), api=merge(cost="-1.00")),
    Bypass("mkt-activity-date-9999", "activity.create", "marketing", "an activity held in year 9999",
           count_of("service.Activity"), page=merge(held_on="9999-12-31"), api=merge(held_on="9999-12-31")),
    Bypass("comp-rebate-month-9999", "rebate.draft", "compliance",
           "a rebate statement for month 9999-12 (a 500 today)", count_of("referrals.RebateStatement"),
           page=merge(**{"draft-month": "9999-12"}), api=merge(month="9999-12-01")),
]


# ---------------------------------------------------------------- what still fails today

# case id → one line. Each is an expected failure (xfail, strict): when the fix lands it passes, the strict
# xfail turns red, and the entry is deleted. Case ids: "<write>/<actor>/<in|out>" or "bypass/<id>".
KNOWN_BYPASSES: dict[str, str] = {}


# ---------------------------------------------------------------- completeness: every write is registered

WRITE_METHODS = ("post", "put", "patch", "delete")


def schema_write_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every write operation in the OpenAPI schema, generated in-process."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, operations in schema["paths"].items()
            for method in operations if method in WRITE_METHODS}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _accepts_writes(callback) -> set[str]:
    """The write methods a URL pattern's view answers (a plain function view: assume POST)."""
    actions = getattr(callback, "actions", None)  # a DRF router's viewset route
    if actions is not None:
        allowed = callback.cls.http_method_names
        return {m.upper() for m in actions if m in WRITE_METHODS and m in allowed}
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view is None:
        return {"POST"}
    return {m.upper() for m in WRITE_METHODS if m in view.http_method_names and hasattr(view, m)}


def _normal_api_path(route: str) -> str:
    """'api/^clients/(?P<pk>[^/.]+)/$' and 'api/clients/<int:pk>/x/' → '/api/clients/{}/…' (schema: '{id}')."""
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "{}", path)
    return "/" + path


def url_write_routes() -> dict[str, set[str]]:
    """Every URL route whose view accepts a write method: route → methods."""
    return {route: methods for route, callback in _walk(get_resolver().url_patterns)
            if (methods := _accepts_writes(callback))}


def page_actions(route: str) -> set[str]:
    """The named forms a page route carries (its view's `action_forms`), when it declares them."""
    for r, callback in _walk(get_resolver().url_patterns):
        if r == route:
            view = getattr(callback, "view_class", None)
            return set(getattr(view, "action_forms", None) or ())
    return set()


def unregistered() -> list[str]:
    """Every write door of the schema and the URLconf with no registry entry, and every stale entry."""
    problems = []
    schema_ops = schema_write_operations()
    registered_ops = {(a.method, a.path) for w in REGISTRY for a in w.apis}
    problems += [f"API {m} {p}: not in the write-permission registry" for m, p in sorted(schema_ops - registered_ops)]
    problems += [f"registry names API {m} {p}, which the schema does not have"
                 for m, p in sorted(registered_ops - schema_ops)]
    normal_schema = {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p in schema_ops}
    routes = url_write_routes()
    registered_pages = {w.page.route for w in REGISTRY if w.page}
    for route, methods in sorted(routes.items()):
        if route.startswith("api/"):
            # An API route must be in the schema (so the check above sees it); the docs views write nothing.
            problems += [f"URL {m} {route}: a write missing from the OpenAPI schema" for m in sorted(methods)
                         if (m, _normal_api_path(route)) not in normal_schema]
            continue
        if route in EXEMPT_ROUTES or any(route.startswith(p) for p in EXEMPT_PREFIXES):
            continue
        if route not in registered_pages:
            problems.append(f"page POST {route}: not in the write-permission registry")
            continue
        declared = page_actions(route)
        covered = {w.page.action for w in REGISTRY if w.page and w.page.route == route}
        problems += [f"page POST {route} action={a}: not in the write-permission registry"
                     for a in sorted(declared - covered)]
    problems += [f"registry names page route {r}, which the URLconf does not accept POST on"
                 for r in sorted(registered_pages - set(routes))]
    problems += [f"exempt route {r} no longer exists" for r in sorted(set(EXEMPT_ROUTES) - set(routes))]
    for w in REGISTRY:
        if (w.page is None or not w.apis) and not w.only.startswith("API only: " if w.page is None else "page only: "):
            problems.append(f"{w.id}: has one door and no 'API only: …'/'page only: …' reason")
        if w.page is not None and w.apis and w.only:
            problems.append(f"{w.id}: has both doors but says {w.only!r}")
    for b in BYPASSES:
        if b.write not in WRITES:
            problems.append(f"bypass {b.id}: unknown write {b.write}")
            continue
        labels = {a.label for a in WRITES[b.write].apis}
        problems += [f"bypass {b.id}: {b.write} has no API door {label}" for label in b.apis if label not in labels]
    return problems


# ---------------------------------------------------------------- cases


def matrix_case_ids() -> list[tuple[str, str, str, str]]:
    """(case id, write id, actor, scope) for every registered write × role × target side."""
    return [(f"{w.id}/{actor}/{scope}", w.id, actor, scope) for w in REGISTRY for actor in ACTORS
            for scope in w.scopes]


def bypass_case_ids() -> list[str]:
    return [f"bypass/{b.id}" for b in BYPASSES]


def figures() -> dict:
    """The issue's figures: write operations × roles × targets tried, and the bypasses still open."""
    cases = matrix_case_ids()
    requests = sum((1 if WRITES[w].page else 0) + len(WRITES[w].apis) for _id, w, _a, _s in cases)
    requests += sum((1 if b.page else 0) + (len(b.apis) or 1 if b.api else 0) for b in BYPASSES)
    return {
        "writes registered": len(REGISTRY),
        "API write operations": sum(len(w.apis) for w in REGISTRY),
        "page forms": sum(1 for w in REGISTRY if w.page),
        "roles": len(ACTORS),
        "targets": "in + out (firm-wide records: in)",
        "write × role × target cases": len(cases),
        "bypass cases (the issue's payloads)": len(BYPASSES),
        "requests": requests,
        "known bypasses (goal 0)": len(KNOWN_BYPASSES),
    }


# ---------------------------------------------------------------- running one door, one case


@dataclass
class DoorResult:
    label: str
    outcome: str
    status: int
    changed: list[str]
    detail: str
    guard_before: Any = None
    guard_after: Any = None

    def __str__(self):
        return f"{self.label} {self.outcome} ({self.status})"


def _try(w: World, actor: str, scope: str, write: Write, door: Page | Api, payload: Callable[[Ctx, dict], dict]
         | None = None, guard: Callable[[Ctx], Any] | None = None) -> DoorResult:
    """One request in its own savepoint: target, fingerprint, request, fingerprint, rollback."""
    user = w.actor_user(actor)
    with transaction.atomic():
        c = Ctx(w=w, actor=actor, user=user, side=w.side(actor, scope))
        c.obj = write.target(c)
        body = door.data(c)
        if payload is not None:
            body = payload(c, body)
        guard_before = guard(c) if guard else None
        before = fingerprint()
        if isinstance(door, Page):
            client = w.pages[actor]
            client.cookies.pop("messages", None)
            response = client.post(door.url(c), body)
            label, outcome = f"page POST {door.route}" + (f" [{door.action}]" if door.action else ""), page_outcome(
                response)
        else:
            response = getattr(w.apis[actor], door.method.lower())(door.url(c), body, format=door.format)
            label, outcome = door.label, api_outcome(response)
        after = fingerprint()
        result = DoorResult(label, outcome, response.status_code, changed_tables(before, after),
                            _detail(response, isinstance(door, Api)), guard_before, guard(c) if guard else None)
        transaction.set_rollback(True)
    return result


def _door_failures(r: DoorResult) -> list[str]:
    failures = []
    if r.outcome == ERROR:
        failures.append(f"{r}: a server error or an unexpected status: {r.detail}")
    if r.outcome == REFUSED and r.changed:
        failures.append(f"{r}: refused, yet changed {', '.join(r.changed)}")
    return failures


def write_case_failures(w: World, write_id: str | Write, actor: str, scope: str) -> list[str]:
    """Everything wrong with one write × role × target: errors, refused-but-changed, page ≠ API, sanity."""
    write = write_id if isinstance(write_id, Write) else WRITES[write_id]
    page = _try(w, actor, scope, write, write.page) if write.page else None
    apis = [_try(w, actor, scope, write, api) for api in write.apis]
    failures = [f for r in [page, *apis] if r for f in _door_failures(r)]
    api_only = ACTORS[actor] in API_ONLY_ROLES
    if page and api_only and not write.own_account and page.outcome != REFUSED:
        failures.append(f"{page}: an API-only role must be refused by every page")
    if page and not api_only:
        failures += [f"the doors disagree: {page} but {a}" + (f": {a.detail}" if a.outcome == REFUSED else "")
                     + (f" / page said: {page.detail}" if page.outcome == REFUSED else "")
                     for a in apis if a.outcome != page.outcome]
    if actor == write.sanity_role and scope == "in":
        for r in [page, *apis]:
            if r is None:
                continue
            if r.outcome != ALLOWED:
                failures.append(f"sanity: {r} for {actor}, whose valid payload must pass: {r.detail}")
            elif write.sanity_changes and not r.changed:
                failures.append(f"sanity: {r} for {actor} but changed nothing: is the payload a no-op?")
    return failures


def bypass_case_failures(w: World, bypass_id: str) -> list[str]:
    """The bypass payload on each door: no error, the guarded state unchanged, a refusal changes nothing."""
    b = next(b for b in BYPASSES if b.id == bypass_id)
    write = WRITES[b.write]
    results = []
    if b.page is not None and write.page is not None:
        results.append(_try(w, b.actor, b.scope, write, write.page, b.page, b.guard))
    if b.api is not None:
        for api in write.apis:
            if api.label in b.apis or (not b.apis and api is write.apis[0]):
                results.append(_try(w, b.actor, b.scope, write, api, b.api, b.guard))
    failures = [f for r in results for f in _door_failures(r)]
    failures += [f"{r}: let it through: {r.guard_before} → {r.guard_after}" for r in results
                 if r.guard_before != r.guard_after]
    if not results:
        failures.append(f"bypass {b.id}: no door tried")
    return failures
