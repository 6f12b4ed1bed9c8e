"""Firm → branch → account manager → client: every number on the dashboard opens the list that makes it."""

import html as htmllib
import math
import re

import pytest
from django.urls import reverse

from clients.models import Client
from segmentation.models import ClientMetrics

from ..factories import ClientFactory, make_staff
from .test_pages_api import browser, nightly_book  # noqa: F401 (a fixture)

FIGURE_LINK = re.compile(r'<a href="(/clients/\?[^"]*figure=[^"]*)"[^>]*>(?:<strong>)?(\d+)(?:</strong>)?</a>')
LIST_COUNT = re.compile(r'<p class="count">\D*(\d+)\D*</p>')
BANNER = re.compile(r'<p class="banner" id="figure-banner">(.*?)</p>', re.S)


def figure_links(page: str) -> list[tuple[str, int]]:
    return [(htmllib.unescape(url), int(n)) for url, n in FIGURE_LINK.findall(page)]


def dashboard(b, **params) -> str:
    r = b.get(reverse("segmentation:dashboard"), params)
    assert r.status_code == 200, params
    return r.content.decode()


def assert_links_add_up(b, page: str) -> int:
    """Each figure link's list counts what the figure says, and its banner says so too."""
    links = figure_links(page)
    assert links
    for url, n in links:
        listed = b.get(url).content.decode()
        assert [int(x) for x in LIST_COUNT.findall(listed)] == [n], url
        banner = BANNER.search(listed)
        assert banner and banner.group(1).strip().endswith(f"— {n}"), url
    return len(links)


SCOPES = [  # (who, dashboard parameters (a function of staff), what the scope shows)
    ("head", lambda s: {}, "whole firm"),
    ("head", lambda s: {"branch": s["am1"].staff_profile.branch_id}, "SH01"),
    ("head", lambda s: {"manager": s["am1"].pk}, "王经理"),
    ("bm_sh", lambda s: {}, "SH01"),
    ("bm_sh", lambda s: {"manager": s["am2"].pk}, "李经理"),
    ("am1", lambda s: {}, "my clients"),
]


@pytest.mark.parametrize("who, params, shows", SCOPES)
def test_every_dashboard_number_links_to_a_list_of_that_many_clients(nightly_book, staff, who, params, shows):  # noqa: F811
    b = browser(staff[who])
    page = dashboard(b, **params(staff))
    assert shows in page
    # 3 totals + 2 + 3 + 4 + 2 axis values + 5 churn buckets + high risk (+ one per branch or manager below)
    assert assert_links_add_up(b, page) >= 20


def test_numbers_are_the_scope_s_and_the_lists_say_which_figure(nightly_book, staff):  # noqa: F811
    b = browser(staff["head"])
    sh = staff["am1"].staff_profile.branch
    page = dashboard(b, branch=sh.pk)
    links = dict(figure_links(page))
    segmented = next(url for url in links if "figure=clients" in url and "account_manager" not in url)
    assert links[segmented] == 3 and f"branch={sh.pk}" in segmented  # zhang, zhao, li
    listed = b.get(segmented).content.decode()
    assert "Clients behind: Segmented clients (branch SH01, as of " in listed
    dormant = next(url for url in links if "figure=volume" in url and "volume=dormant" in url)
    assert "Clients behind: Trading volume: Dormant (branch SH01" in b.get(dormant).content.decode()


def test_top_20_percent_link_lists_the_clients_bringing_the_most_net_commission(nightly_book, staff):  # noqa: F811
    b = browser(staff["head"])
    page = dashboard(b)
    url = htmllib.unescape(re.search(r'<a href="([^"]*)" id="top20-clients">', page).group(1))
    listed = b.get(url).content.decode()
    ranked = list(ClientMetrics.objects.order_by("-net_commission_250", "client_id")
                  .values_list("client_id", flat=True))
    top = ranked[:math.ceil(len(ranked) * 0.2)]
    assert LIST_COUNT.findall(listed) == [str(len(top))]
    assert Client.objects.get(pk=top[0]).account_id in listed
    assert "Top 20% of clients by net commission" in listed


def test_firm_lists_branches_branch_lists_managers_manager_links_clients(nightly_book, staff):  # noqa: F811
    b = browser(staff["head"])
    sh, bj = staff["am1"].staff_profile.branch, staff["bm_bj"].staff_profile.branch
    firm = dashboard(b)
    assert f'href="/segments/?branch={sh.pk}"' in firm and f'href="/segments/?branch={bj.pk}"' in firm
    branch = dashboard(b, branch=sh.pk)
    assert f'href="/segments/?manager={staff["am1"].pk}"' in branch
    assert f'href="/segments/?manager={staff["am2"].pk}"' in branch
    # Beijing's only client has no manager: its row links to the unassigned clients, not to a manager.
    beijing = dashboard(b, branch=bj.pk)
    assert "No account manager" in beijing and "no_manager=true" in beijing
    manager = dashboard(b, manager=staff["am1"].pk)
    assert "2</a> clients" in manager and 'id="drill-path"' in manager


def test_a_role_cannot_drill_into_a_scope_it_may_not_see(nightly_book, staff, branches):  # noqa: F811
    sh, bj = branches
    am_bj = make_staff("account_manager", branch=bj, name="北京经理")
    ClientFactory(branch=bj, account_manager=am_bj, name="北京客户")
    forbidden = [
        ("am1", {"manager": staff["am2"].pk}), ("am1", {"branch": sh.pk}), ("am1", {"manager": am_bj.pk}),
        ("bm_sh", {"branch": bj.pk}), ("bm_sh", {"manager": am_bj.pk}), ("bm_sh", {"manager": staff["bm_sh"].pk}),
    ]
    for who, params in forbidden:
        r = browser(staff[who]).get(reverse("segmentation:dashboard"), params)
        assert r.status_code == 404, (who, params)
        assert "北京经理" not in r.content.decode() and "李经理" not in r.content.decode()
    # A branch manager's dashboard lists their own managers only.
    own = dashboard(browser(staff["bm_sh"]))
    assert f"manager={am_bj.pk}" not in own and f"manager={staff['am1'].pk}" in own
    # And the list opened with another branch's filter stays within the branch (the form refuses it).
    listed = browser(staff["bm_sh"]).get(f"/clients/?branch={bj.pk}&segmented=true&figure=clients").content.decode()
    assert "北京客户" not in listed and "王五" not in listed


@pytest.mark.parametrize("lang, text", [
    ("en", "Clients behind: High churn risk (whole firm, as of {d}) — {n}"),
    ("zh-hans", "对应客户：高流失风险（全公司，截至 {d}）— {n}"),
])
def test_banner_in_both_languages(nightly_book, staff, lang, text):  # noqa: F811
    b = browser(staff["head"])
    b.cookies["django_language"] = lang
    page = dashboard(b)
    url = htmllib.unescape(re.search(r'<p id="high-risk">.*?<a href="([^"]*)">(\d+)</a>', page, re.S).group(1))
    n = Client.objects.filter(segment__churn_score__gte=50).count()
    day = Client.objects.filter(segment__isnull=False).values_list("segment__as_of", flat=True).first()
    assert text.format(d=day.isoformat(), n=n) in b.get(url).content.decode()


def test_an_unknown_figure_or_a_list_without_one_has_no_banner(nightly_book, staff):  # noqa: F811
    b = browser(staff["head"])
    assert 'id="figure-banner"' not in b.get("/clients/?loyal=true").content.decode()
    assert 'id="figure-banner"' not in b.get("/clients/?loyal=true&figure=nonsense").content.decode()
    # A figure whose label needs a filter the link lacks explains nothing.
    assert 'id="figure-banner"' not in b.get("/clients/?figure=volume").content.decode()


def test_churn_reason_is_in_the_client_json_and_filterable(staff, branches, api):
    sh, _bj = branches
    poached = ClientFactory(branch=sh, status="closed", churn_reason="poached", name="被挖走")
    losses = ClientFactory(branch=sh, status="closed", churn_reason="losses", name="亏损离开")
    ClientFactory(branch=sh, name="在册")
    r = api(staff["head"]).get("/api/clients/", {"churn_kind": "inevitable"})
    assert [c["name"] for c in r.json()["results"]] == ["被挖走"]
    assert r.json()["results"][0]["churn_reason"] == "poached"
    r = api(staff["head"]).get("/api/clients/", {"churn_reason": "losses"})
    assert [c["id"] for c in r.json()["results"]] == [losses.pk]
    page = browser(staff["head"]).get("/clients/", {"churn_kind": "accidental"}).content.decode()
    assert "亏损离开" in page and "被挖走" not in page and poached.account_id not in page


def test_dashboard_queries_do_not_grow_with_branches_or_managers(nightly_book, staff, branches):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import BranchFactory

    b = browser(staff["head"])
    sh = branches[0]

    def queries(**params):
        with CaptureQueriesContext(connection) as ctx:
            dashboard(b, **params)
        return len(ctx.captured_queries)

    before = (queries(), queries(branch=sh.pk))
    for i in range(3):
        BranchFactory(code=f"GZ0{i}")
        make_staff("account_manager", branch=sh)
    assert (queries(), queries(branch=sh.pk)) == before
