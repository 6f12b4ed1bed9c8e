"""One meaning per label: what a Chinese reader sees is the translation meant for that place.

Django merges the per-app catalogues, so a msgid without context has one translation site-wide (the
project catalogue first, then the apps in INSTALLED_APPS order, Django's own and third-party apps
included). A word with two meanings ("Closed": an account, a ticket) needs a context per meaning.
"""

import datetime
import importlib
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone, translation

from clients.models import AccountSettlement
from futures_crm.i18n import catalogues, parse_po
from referrals.models import Intermediary, IntermediaryLink
from service import services

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = {c.name: parse_po(c.po) for c in catalogues(ROOT)}
PROJECT_APPS = [a for a in apps.get_app_configs() if Path(a.path).resolve().parent == ROOT]
# Codes, not words: risk levels C1..C5, prospect grades A..F, "API".
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
# Fields that say what state or sort a record is in (a ticket's status, an event's kind, a message's result).
STATUS_LIKE = re.compile(r"(^|_)(status|state|kind|source|result)$")
# The client's own account: the one place an account is opened or closed.
ACCOUNT_MODELS = {"clients.client"}
# Words that belong to one meaning only: a translation may use them where the English (or its context) says so.
TRAPS = {
    "平仓盈亏": re.compile(r"P&L|profit", re.I),  # close P&L: settlement fields only
    "开户日期": re.compile(r"open(ed)?[ _](date|on)\b|\bopened\b", re.I),  # account-opening date
    "销户": re.compile(r"close[ _]date|account", re.I),  # an account closed
}


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def _en(text) -> str:
    with translation.override("en"):
        return str(text)


def _context_and_msgid(label) -> tuple[str, str]:
    """(context, msgid) of a lazy label: pgettext_lazy keeps both, gettext_lazy the msgid only."""
    args = getattr(label, "_args", (str(label),))
    return (args[0], args[1]) if len(args) == 2 else ("", args[0])


def _choice_classes() -> list[type]:
    for app in PROJECT_APPS:
        if (Path(app.path) / "choices.py").exists():
            importlib.import_module(f"{app.name}.choices")
    importlib.import_module("futures_crm.roles")
    found, todo = [], list(models.Choices.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.split(".")[0] in {a.name for a in PROJECT_APPS}:
            found.append(cls)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def _choice_fields() -> list[tuple[str, models.Field]]:
    return [(f"{m._meta.label_lower}.{f.name}", f) for app in PROJECT_APPS for m in app.get_models()
            for f in m._meta.get_fields() if getattr(f, "choices", None)]


def _labels() -> list[tuple[str, object]]:
    """Every choice label of every app: (where, lazy label)."""
    out = [(f"{c.__module__}.{c.__name__}", label) for c in _choice_classes() for _value, label in c.choices]
    out += [(where, label) for where, f in _choice_fields() for _value, label in f.flatchoices]
    return out


def test_no_msgid_is_translated_two_ways_across_catalogues():
    seen = defaultdict(dict)
    for name, entries in ENTRIES.items():
        for e in entries:
            seen[(e.context, e.msgid)][name] = e.msgstrs[0]
    clashes = {key: by_app for key, by_app in seen.items() if len(set(by_app.values())) > 1}
    assert clashes == {}, "give each meaning its own context (pgettext), or one translation for one meaning"


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_entry_renders_as_its_catalogue_says(name):
    # A bare msgid of another catalogue, or of Django's own (admin: "Action", auth: "active"), may win.
    with translation.override("zh-hans"):
        wrong = [(e.context, e.msgid, e.msgstrs[0], got) for e in ENTRIES[name] if len(e.msgstrs) == 1
                 and (got := translation.pgettext(e.context, e.msgid) if e.context
                      else translation.gettext(e.msgid)) != e.msgstrs[0]]
    assert wrong == []


def test_the_walk_finds_the_choices_of_every_app():
    where = {w for w, _label in _labels()}
    assert {"service.ticket.status", "service.task.status", "clients.quarantinedrow.status",
            "referrals.intermediary.status", "referrals.intermediarylink.source",
            "futures_crm.roles.Role", "clients.choices.AccountStatus"} <= where


def test_every_choice_label_reads_chinese():
    english = sorted({(where, _en(label)) for where, label in _labels()
                      if _zh(label) == _en(label) and not CODE.match(_en(label))})
    assert english == []


def test_the_choices_of_one_field_read_differently_in_chinese():
    # Two kinds in one drop-down that read the same (Call back and Return visit both 回访) cannot be told apart.
    groups = [(f"{c.__module__}.{c.__name__}", c.choices) for c in _choice_classes()]
    groups += [(where, f.flatchoices) for where, f in _choice_fields()]
    same = sorted({(where, _zh(label)) for where, choices in groups
                   for label in {lbl for _v, lbl in choices}
                   if sum(_zh(other) == _zh(label) for _v, other in choices) > 1})
    assert same == []


def test_every_choice_label_renders_its_own_entry():
    # pgettext falls back to the bare msgid when its context has no entry: the label of another meaning.
    known = {(e.context, e.msgid): e.msgstrs[0] for entries in ENTRIES.values() for e in entries}
    wrong = set()
    for where, label in _labels():
        key = _context_and_msgid(label)
        if known.get(key) != _zh(label) and (key[0] or key in known):
            wrong.add((where, *key, _zh(label)))
    assert sorted(wrong) == []


def _status_like() -> dict[str, list]:
    fields = {where: f for where, f in _choice_fields()
              if STATUS_LIKE.search(f.name) and f.model._meta.label_lower not in ACCOUNT_MODELS}
    return {where: [label for _v, label in f.flatchoices] for where, f in fields.items()}


def test_the_status_like_fields_include_the_ones_that_clashed():
    assert {"service.ticket.status", "service.task.status", "service.ticketevent.kind",
            "service.ticketevent.from_status", "clients.quarantinedrow.status", "referrals.intermediary.status",
            "referrals.intermediarylink.source", "service.communicationlog.result"} <= set(_status_like())


def test_no_status_of_a_ticket_task_quarantine_intermediary_or_link_reads_as_an_account():
    wrong = []
    for where, labels in _status_like().items():
        for zh, en in ((_zh(label), _en(label)) for label in labels):
            account_word = any(trap in zh for trap in ("销户", "开户日期", "平仓盈亏"))
            if account_word or ("开户" in zh and "account" not in en.lower()):
                wrong.append((where, en, zh))
    assert wrong == []


def _verbose_names() -> list[tuple[str, object]]:
    return [(f"{m._meta.label_lower}.{f.name}", f.verbose_name) for app in PROJECT_APPS for m in app.get_models()
            for f in m._meta.get_fields() if hasattr(f, "verbose_name")]


def test_trap_words_appear_only_where_the_english_says_so():
    texts = [(name, e.context, e.msgid, e.msgstrs[0]) for name, entries in ENTRIES.items() for e in entries]
    texts += [(where, *_context_and_msgid(label), _zh(label)) for where, label in _verbose_names() + _labels()]
    wrong = [(where, context, msgid, zh) for where, context, msgid, zh in texts
             for trap, cue in TRAPS.items() if trap in zh and not cue.search(f"{context} {msgid}")]
    assert wrong == []


# Pages, as a Chinese reader sees them.

def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.django_db
def test_client_page_reads_settlement_risk_degree_and_link_dates(client, staff, book):
    zhang = book["zhang"]
    money = dict.fromkeys(("pre_balance", "deposit", "withdrawal", "close_profit", "position_profit", "commission",
                           "exchange_fee", "margin_call"), Decimal("0"))
    AccountSettlement.objects.create(client=zhang, trade_date=datetime.date(2026, 11, 27), balance=Decimal("100000"),
                                     equity=Decimal("100000"), margin=Decimal("40000"), available=Decimal("60000"),
                                     **money)
    ib = Intermediary.objects.create(code="IB001", name="周居间", rebate_rate=Decimal("0.4"),
                                     contract_end=datetime.date(2030, 12, 31))
    IntermediaryLink.objects.create(client=zhang, intermediary=ib, valid_from=datetime.date(2026, 1, 5))
    html = _page(client, staff["head"], f"/clients/{zhang.pk}/")
    settlement = _section(html, "settlement-panel")
    assert "<h2>资金日结</h2>" in settlement and "风险度" in settlement
    assert "客户分类" not in settlement and "风险等级" not in settlement
    relationships = _section(html, "relationships")
    assert "起始日期" in relationships and "变更前" in relationships
    assert "原值" not in relationships and "新值" not in relationships


@pytest.mark.django_db
def test_a_closed_ticket_reads_closed_not_account_closed(client, staff, book):
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                  channel="phone", subject="保证金怎么算")
    services.ticket_transition(ticket=ticket, to_status="resolved", by=staff["agent"], note="已解释")
    services.ticket_transition(ticket=ticket, to_status="closed", by=staff["agent"])
    html = _page(client, staff["agent"], f"/service/tickets/{ticket.pk}/")
    assert '<span class="badge" id="ticket-status">已关闭</span>' in html
    assert "已销户" not in html and "已开户" not in html
    assert "<td>创建</td>" in html  # the timeline's first event


@pytest.mark.django_db
def test_an_open_task_reads_open_not_account_opening_date(client, staff, book):
    services.task_upsert(client=book["zhang"], kind="call_back", due_on=datetime.date(2026, 12, 1))
    html = _page(client, staff["am1"], "/service/tasks/")
    assert "<td>未完成</td>" in html and "开户日期" not in html


@pytest.mark.django_db
def test_an_intermediarys_raised_flag_reads_raised_not_close_pnl(client, staff):
    ib = Intermediary.objects.create(code="IB009", name="郑居间", rebate_rate=Decimal("0.4"),
                                     contract_end=timezone.localdate())
    html = _page(client, staff["compliance"], f"/relationships/intermediaries/{ib.pk}/")
    assert '<span class="badge danger">触发</span>' in html and "平仓盈亏" not in html


@pytest.mark.django_db
def test_client_list_sort_options_read_chinese(client, staff, book):
    html = _page(client, staff["head"], "/clients/")
    assert "资金账号（降序）" in html and "流失风险（降序）" in html and "生涯价值" in html
    assert "(descending)" not in html and "Account id" not in html and "Churn score" not in html
