"""The dashboards read the nightly indicator snapshot: the newest day by default, any stored day "as of"; the
figures equal hand sums over the constructed book, and each role keeps its scope on every day."""

import datetime
import math
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from segmentation import selectors
from segmentation.models import ClientMetrics, ClientSegment, IndicatorSnapshot

from ..factories import make_staff
from .test_drilldown import assert_links_add_up, figure_links
from .test_indicators import D1, D3, nights, world  # noqa: F401 (fixtures)
from .test_pages_api import browser

pytestmark = pytest.mark.django_db

SHAPE = {"clients", "segments", "churn", "churned", "loyal", "concentration", "as_of", "policy_version"}


def page(user, **params) -> str:
    r = browser(user).get(reverse("segmentation:dashboard"), params)
    assert r.status_code == 200, params
    return r.content.decode()


def hand(segments) -> dict:
    """The dashboard's figures summed by hand over the clients' segments and metrics (as the lists count)."""
    ids = list(segments.values_list("client_id", flat=True))
    nc = sorted((m for m in ClientMetrics.objects.filter(client_id__in=ids).values_list("net_commission_250",
                                                                                      flat=True)), reverse=True)
    top = nc[:math.ceil(len(nc) * 0.2)]
    return {
        "clients": segments.count(), "churned": segments.filter(churned=True).count(),
        "loyal": segments.filter(loyal=True).count(),
        "bands": [segments.filter(churn_score__range=r).count() for r in ((0, 0), (1, 24), (25, 49), (50, 74),
                                                                            (75, 100))],
        "volume": {v: segments.filter(volume=v).count() for v in ("active", "key_service", "ordinary", "dormant")},
        "top20": str((sum(top) / sum(nc)).quantize(Decimal("0.0001"))), "total": str(sum(nc)),
    }


@pytest.mark.parametrize("who, scope, clients", [
    ("head", {}, ClientSegment.objects.all),  # a, b, c, n and the closed x
    ("bm_sh", {}, lambda: ClientSegment.objects.filter(client__branch__code="SH01")),  # a, b, n
    ("am1", {}, lambda: ClientSegment.objects.filter(client__account_manager__username="am1")),  # a, n
])
def test_figures_from_the_snapshot_equal_hand_sums(nights, staff, who, scope, clients):  # noqa: F811
    data = selectors.dashboard_figures(selectors.dashboard_scope(staff[who], **scope))
    expected = hand(clients())
    assert set(data) == SHAPE and data["as_of"] == D3 and data["policy_version"] == 1
    assert data["clients"] == expected["clients"] == {"head": 5, "bm_sh": 3, "am1": 2}[who]
    assert (data["churned"], data["loyal"]) == (expected["churned"], expected["loyal"])
    assert [b["clients"] for b in data["churn"]] == expected["bands"]
    assert [(b["from"], b["to"]) for b in data["churn"]] == [(0, 0), (1, 24), (25, 49), (50, 74), (75, 100)]
    assert data["segments"]["volume"] == expected["volume"]
    assert sum(data["segments"]["purpose"].values()) == expected["clients"]
    assert data["concentration"]["top20_share"] == expected["top20"]
    assert Decimal(data["concentration"]["total"]) == Decimal(expected["total"])
    assert data["concentration"]["curve"][-1] == {"clients_pct": 100, "share": "1.0000"}


def test_the_firm_s_concentration_by_hand(nights, staff):  # noqa: F811
    """a brings 3 × 10.24 net commission, b 3 × 4.44, the others none: the top fifth (a, of 5) brings
    30.72 / 44.04; the curve has a point per fifth."""
    concentration = selectors.dashboard_figures(selectors.dashboard_scope(staff["head"]))["concentration"]
    assert concentration == {"top20_share": "0.6975", "total": "44.04", "curve": [
        {"clients_pct": 20, "share": "0.6975"}, {"clients_pct": 40, "share": "1.0000"},
        {"clients_pct": 60, "share": "1.0000"}, {"clients_pct": 80, "share": "1.0000"},
        {"clients_pct": 100, "share": "1.0000"}]}


def test_children_are_the_snapshot_s_branches_and_managers(nights, staff):  # noqa: F811
    firm = selectors.dashboard_children(selectors.dashboard_scope(staff["head"]))
    assert sorted((row["branch"].code, row["clients"]) for row in firm) == [("BJ01", 2), ("SH01", 3)]
    branch = selectors.dashboard_children(selectors.dashboard_scope(staff["bm_bj"]))
    assert [(row["manager"], row["clients"], row.get("unassigned")) for row in branch] == [(None, 2, True)]
    sh = page(staff["bm_sh"])
    assert f'href="/segments/?manager={staff["am1"].pk}"' in sh and f'href="/segments/?manager={staff["am2"].pk}"' in sh
    bj = page(staff["bm_bj"])
    assert "No account manager" in bj and "no_manager=true" in bj  # c and the closed x
    # Every number, the rows one level down included, opens a list of that many clients.
    for who in ("head", "bm_sh", "bm_bj", "am1"):
        assert assert_links_add_up(browser(staff[who]), page(staff[who])) >= 15


def test_a_past_day_shows_that_day_s_figures_without_links(nights, staff):  # noqa: F811
    # n opened on D3: the night of D1 stored four segmented clients, the newest night five.
    assert IndicatorSnapshot.objects.get(on_date=D1, scope="firm").segmented == 4
    newest = page(staff["head"])
    assert "5</a> clients" in newest and 'id="past-day"' not in newest
    past = page(staff["head"], as_of=D1.isoformat())
    assert 'id="past-day"' in past and "today's clients" in past
    assert re.search(r'id="segment-totals">4 clients · \d+ churned · \d+ loyal<', past)
    assert not figure_links(past) and 'id="top20-clients"' not in past
    assert f'value="{D1.isoformat()}"' in past and 'id="latest-day"' in past
    # The rows one level down keep the day.
    sh = IndicatorSnapshot.objects.get(on_date=D1, scope="branch", code="SH01")
    assert sh.segmented == 2 and f"as_of={D1.isoformat()}" in past
    branch = page(staff["bm_sh"], as_of=D1.isoformat())
    assert re.search(r'id="segment-totals">2 clients', branch)
    # The manager's book as that night stored it: a only (n opened on D3).
    own = page(staff["am1"], as_of=D1.isoformat())
    assert re.search(r'id="segment-totals">1 clients', own) and "my clients" in own


def test_a_day_without_snapshot_says_so(nights, staff, branches):  # noqa: F811
    saturday = D1 - datetime.timedelta(days=2)
    html = page(staff["head"], as_of=saturday.isoformat())
    assert 'id="no-snapshot"' in html and "No snapshot for" in html and 'id="segment-totals"' not in html
    assert 'id="drill-down"' not in html  # no rows of zeros for a day nothing was stored
    # A scope without clients that day is told apart from a day without a snapshot.
    empty = page(staff["head"], manager=staff["am2"].pk, as_of=D1.isoformat())
    assert 'id="segment-totals"' in empty  # b was there on D1
    IndicatorSnapshot.objects.filter(on_date=D1, scope="manager", code="AM002").delete()
    empty = page(staff["head"], manager=staff["am2"].pk, as_of=D1.isoformat())
    assert "No segmented clients in this scope on" in empty
    # A manager without clients on the newest day: the day is there, the scope has none.
    idle = make_staff("account_manager", branch=branches[0], name="新经理", code="AM777")
    assert "No segmented clients in this scope on" in page(staff["head"], manager=idle.pk)
    # Not a date: the newest day, with the reason.
    html = page(staff["head"], as_of="2025-13-40")
    assert 'id="as-of-error"' in html and "5</a> clients" in html


@pytest.mark.parametrize("who, params", [
    ("am1", {"branch": "SH01"}), ("am1", {"manager": "am2"}), ("bm_sh", {"branch": "BJ01"}),
])
def test_a_past_day_does_not_widen_a_role_s_scope(nights, staff, branches, who, params):  # noqa: F811
    ids = {"SH01": branches[0].pk, "BJ01": branches[1].pk, "am2": staff["am2"].pk}
    query = {k: ids[v] for k, v in params.items()} | {"as_of": D1.isoformat()}
    assert browser(staff[who]).get(reverse("segmentation:dashboard"), query).status_code == 404
