"""Navigation, landing pages and page titles (issue 13): each role starts on its own page, the menus show what the
role may use grouped in a few menus, the current section is marked on every page, and a tab reads "<page> · product"."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from futures_crm.context_processors import NAV_GROUPS, NAV_ITEMS, nav_menus
from futures_crm.roles import Role
from service import services

pytestmark = pytest.mark.django_db

# The apps' pages: every URL name here belongs to one menu entry's section.
PAGE_NAMESPACES = {"clients", "referrals", "service", "segmentation"}


def page_url_names(patterns=None, namespace=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace in PAGE_NAMESPACES:
                yield from page_url_names(p.url_patterns, p.namespace)
        elif isinstance(p, URLPattern) and p.name and (namespace or p.name == "lookup"):
            yield f"{namespace}:{p.name}" if namespace else p.name


@pytest.mark.parametrize("who, landing", [
    ("admin", "/segments/"), ("head", "/segments/"), ("bm_sh", "/segments/"), ("am1", "/service/my-day/"),
    ("agent", "/service/lookup/"), ("compliance", "/relationships/intermediaries/compliance/"),
    ("marketing", "/service/activities/"),
])
def test_each_role_lands_on_its_own_page_and_may_open_it(client, staff, who, landing):
    client.force_login(staff[who])
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0] == landing
    assert response.status_code == 200


@pytest.mark.parametrize("who, scope", [("head", "firm"), ("admin", "firm"), ("bm_sh", "branch:{sh}")])
def test_management_lands_on_the_figures_of_the_firm_or_of_their_branch(client, staff, branches, who, scope):
    client.force_login(staff[who])
    response = client.get("/", follow=True)
    assert response.context["scope"] == scope.format(sh=branches[0].pk)


def test_every_page_belongs_to_exactly_one_menu_entry():
    names = list(page_url_names())
    assert len(names) > 40
    orphans = {name: [i.url_name for i in NAV_ITEMS if i.is_current(name)] for name in names}
    assert {name: owners for name, owners in orphans.items() if len(owners) != 1} == {}
    assert {item.group for item in NAV_ITEMS} <= set(NAV_GROUPS)


def test_menus_hold_only_what_the_role_may_use():
    desk = nav_menus(Role.SERVICE_AGENT, "service:ticket_detail")
    assert [m["key"] for m in desk] == ["clients", "service", "relationships"]
    entries = {e["name"] for m in desk for e in m["entries"]}
    assert "clients:import_list" not in entries and "segmentation:runs" not in entries
    assert [m["key"] for m in desk if m["current"]] == ["service"]
    assert [e["name"] for m in desk for e in m["entries"] if e["current"]] == ["service:tickets"]
    head = nav_menus(Role.HEAD_OFFICE, "clients:quarantine_fix", is_staff=True)
    admin = next(m for m in head if m["key"] == "admin")
    assert admin["current"] and [e["name"] for e in admin["entries"]] == [
        "clients:import_list", "segmentation:runs", "admin:index"]


def test_the_page_marks_its_section_and_a_one_entry_menu_is_a_plain_link(client, staff, book):
    client.force_login(staff["am1"])
    html = client.get(f"/clients/{book['zhang'].pk}/").content.decode()
    nav = html[html.index('<nav class="mainnav"'):html.index("</nav>")]
    assert re.search(r'<li class="menu current" data-menu="clients">', nav)
    assert 'href="/clients/" class="current" aria-current="page"' in nav
    assert nav.count('aria-current="page"') == 1
    # An account manager's analysis pages: the segments dashboard, trends, migration and their scorecard (not the
    # branch ranking).
    analysis = nav[nav.index('data-menu="analysis"'):]
    analysis = analysis[:analysis.index("</details>")]
    assert all(f'href="/segments/{page}"' in analysis for page in ("", "trends/", "migration/", "scorecard/"))
    assert "branch-ranking" not in nav
    # A branch manager's only administration page is the nightly runs: a link, not a drop-down.
    client.force_login(staff["bm_sh"])
    html = client.get("/segments/").content.decode()
    admin = html[html.index('data-menu="admin"'):]
    assert admin.split("</li>")[0].count("<details>") == 0 and 'href="/segments/runs/"' in admin.split("</li>")[0]


@pytest.mark.parametrize("lang, title", [("en", "Tickets · Futures CRM"), ("zh-hans", "服务工单 · 期货CRM")])
def test_a_list_page_is_titled_by_its_list_and_the_product_once(client, staff, lang, title):
    client.force_login(staff["agent"])
    client.cookies["django_language"] = lang
    html = client.get("/service/tickets/").content.decode()
    assert re.search(r"<title>(.*?)</title>", html).group(1) == title


def test_a_detail_page_is_titled_by_its_record(client, staff, book):
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                  channel="phone", subject="保证金咨询")
    client.force_login(staff["agent"])
    with translation.override("en"):
        html = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert re.search(r"<title>(.*?)</title>", html).group(1) == f"#{ticket.pk} 保证金咨询 · Futures CRM"


def test_a_checkbox_sits_inside_its_label(client, staff):
    client.force_login(staff["head"])
    html = client.get("/clients/imports/").content.decode()
    assert re.search(r'<label class="check" for="id_partial"><input type="checkbox" name="partial"[^>]*> Partial',
                     html)
