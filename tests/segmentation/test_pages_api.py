"""Where people see the results: the client panel, the dashboard, runs, policy, filters and the API."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from segmentation import services
from segmentation.models import NightlyRun, Policy, SegmentOverride

from ..factories import PASSWORD, ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(64)


@pytest.fixture
def nightly_book(book, night):
    """The shared book, with settlement so that zhang is a large scalper and li is at risk."""
    b = Book()
    b.days(book["zhang"], DAYS, equity=6_000_000, lots=60)
    b.days(book["zhao"], DAYS, equity=600_000, lots=2, position=1, commission=40, exchange_fee=8)
    b.days(book["li"], DAYS[:-21], equity=10).days(book["li"], [DAYS[-21]], equity=1_000_000)
    b.days(book["li"], DAYS[-20:], equity=300_000, withdrawal=40_000)
    b.days(book["wang"], DAYS, equity=100)
    b.save()
    night(DAYS[-1])
    return book


def browser(user):
    b = Browser()
    assert b.login(username=user.username, password=PASSWORD)
    return b


def test_client_page_panel_shows_axes_with_why_signals_value_loyalty_history(nightly_book, staff):
    page = browser(staff["am1"]).get(reverse("clients:detail", args=[nightly_book["zhang"].pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="segmentation-panel"' in html
    assert "Large" in html and "Active" in html and "Average equity, 20 days" in html and "6,000,000.00" in html
    assert "≥ 5,000,000.00" in html and 'data-signal="equity_outflow"' in html
    assert 'data-criterion="exclusive"' in html and "First classification" in html and 'id="ltv"' in html


def test_at_risk_client_shows_its_signals(nightly_book, staff):
    html = browser(staff["am2"]).get(reverse("clients:detail", args=[nightly_book["li"].pk])).content.decode()
    assert 'id="churn-score">40<' in html and 'class="holds" data-signal="equity_outflow"' in html


def test_pin_from_the_client_page_and_remove_it(nightly_book, staff):
    b = browser(staff["am1"])
    zhang = nightly_book["zhang"]
    r = b.post(reverse("segmentation:override", args=[zhang.pk]),
               {"axis": "volume", "value": "key_service", "reason": "hedging desk", "expires_on": "2030-01-01"})
    assert r.status_code == 302
    zhang.segment.refresh_from_db()
    assert zhang.segment.volume == "key_service"
    html = b.get(reverse("clients:detail", args=[zhang.pk])).content.decode()
    assert "pinned" in html and "hedging desk" in html
    pin = SegmentOverride.objects.get(client=zhang)
    b.post(reverse("segmentation:override-remove", args=[pin.pk]))
    pin.refresh_from_db()
    assert pin.removed_at is not None and pin.removed_by == staff["am1"]
    # A value of another axis is refused; a client outside the user's book is a 404.
    b.post(reverse("segmentation:override", args=[zhang.pk]), {"axis": "volume", "value": "large", "reason": "x"})
    assert SegmentOverride.objects.filter(removed_at__isnull=True).count() == 0
    assert b.post(reverse("segmentation:override", args=[nightly_book["li"].pk]),
                  {"axis": "volume", "value": "dormant", "reason": "x"}).status_code == 404


def test_segment_history_api_is_scoped_and_in_the_schema(nightly_book, staff, api):
    url = f"/api/clients/{nightly_book['zhang'].pk}/segment-history/"
    r = api(staff["am1"]).get(url)
    assert r.status_code == 200
    rows = r.json()["results"]
    assert {row["axis"] for row in rows} == {"purpose", "fund_size", "volume", "tenure"}
    assert {row["source"] for row in rows} == {"start"}
    assert api(staff["am2"]).get(url).status_code == 404
    schema = api(staff["admin"]).get("/api/schema/").content.decode()
    assert "/api/clients/{id}/segment-history/" in schema and "/api/segmentation/runs/" in schema


def test_client_api_fills_segments_churn_value_loyalty(nightly_book, staff, api):
    data = api(staff["am1"]).get(f"/api/clients/{nightly_book['zhao'].pk}/").json()
    assert data["segments"] == {"purpose": "speculator", "fund_size": "medium", "volume": "ordinary",
                                "tenure": "old"}
    assert data["churn"] == {"score": 0, "signals": [], "churned": False}
    # 64 days × 32 CNY net, not scaled (the account is older than the data), × 10 years (no birthday).
    assert data["lifetime_value"] == "20480.00"
    assert data["loyalty"] == {"points": 0, "loyal": False}


@pytest.mark.parametrize(("query", "names"), [
    ("purpose=speculator", {"张三", "赵敏", "李四", "王五"}),
    ("fund_size=large", {"张三"}),
    ("volume=active", {"张三"}),
    ("volume=dormant", {"李四", "王五"}),
    ("tenure=old", {"张三", "赵敏", "李四", "王五"}),
    ("churn_score_min=40", {"李四"}),
    ("churn_score_max=39", {"张三", "赵敏", "王五"}),
    ("churned=true", set()),
    ("loyal=false", {"张三", "赵敏", "李四", "王五"}),
])
def test_list_export_and_api_filter_on_segments(nightly_book, staff, api, query, names):
    r = api(staff["admin"]).get(f"/api/clients/?{query}")
    assert {c["name"] for c in r.json()["results"]} == names
    page = browser(staff["admin"]).get(f"/clients/?{query}&export=csv")
    body = b"".join(page.streaming_content).decode() if page.streaming else page.content.decode()
    assert {n for n in ("张三", "赵敏", "李四", "王五") if n in body} == names


def test_dashboard_is_scoped_by_role(nightly_book, staff):
    firm = browser(staff["head"]).get(reverse("segmentation:dashboard")).content.decode()
    assert "4</a> clients" in firm and "<polyline" in firm and 'id="top20"' in firm
    sh = browser(staff["bm_sh"]).get(reverse("segmentation:dashboard")).content.decode()
    assert "3</a> clients" in sh
    own = browser(staff["am1"]).get(reverse("segmentation:dashboard")).content.decode()
    assert "2</a> clients" in own and "my clients" in own
    assert browser(staff["agent"]).get(reverse("segmentation:dashboard")).status_code == 403


def test_runs_page_lists_runs_and_a_manager_starts_one(nightly_book, staff, django_capture_on_commit_callbacks):
    b = browser(staff["bm_sh"])
    html = b.get(reverse("segmentation:runs")).content.decode()
    run = NightlyRun.objects.get()
    assert f"<td>{run.pk}</td>" in html and "metrics" in html and "Succeeded" in html
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = b.post(reverse("segmentation:runs"), {"day": DAYS[-1].isoformat()})
    assert r.status_code == 302 and len(callbacks) == 1
    assert browser(staff["am1"]).get(reverse("segmentation:runs")).status_code == 403


def test_runs_page_and_api_share_one_filterset(nightly_book, staff, api):
    failed = NightlyRun.objects.create(trade_date=DAYS[-2], policy_version=1, status="failed", error="boom")
    html = browser(staff["head"]).get(reverse("segmentation:runs"), {"status": "failed"}).content.decode()
    assert f"<td>{failed.pk}</td>" in html and "Succeeded" not in html.split('id="runs"', 1)[1]
    rows = api(staff["head"]).get("/api/segmentation/runs/", {"status": "failed"}).json()["results"]
    assert [row["id"] for row in rows] == [failed.pk]


def test_runs_api(nightly_book, staff, api, django_capture_on_commit_callbacks):
    rows = api(staff["head"]).get("/api/segmentation/runs/").json()["results"]
    assert rows[0]["status"] == "succeeded" and rows[0]["policy_version"] == 1
    assert [step["name"] for step in rows[0]["steps"]] == services.STEP_NAMES
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api(staff["head"]).post("/api/segmentation/runs/start/", {}, format="json").status_code == 202
    assert len(callbacks) == 1
    assert api(staff["am1"]).get("/api/segmentation/runs/").status_code == 403


def test_policy_page_creates_a_version_for_head_office_only(nightly_book, staff):
    head = browser(staff["head"])
    policy = services.current_policy()
    form = {key: str(policy.value(key)) for key in policy.params} | {"note": "tighter large band",
                                                                     "fund_large": "7000000"}
    assert head.post(reverse("segmentation:policy"), form).status_code == 302
    v2 = Policy.objects.get(version=2)
    assert v2.value("fund_large") == 7_000_000 and v2.created_by == staff["head"]
    browser(staff["bm_sh"]).post(reverse("segmentation:policy"), form | {"note": "branch try"})
    assert Policy.objects.count() == 2
    assert "Segmentation policy, version 2" in browser(staff["bm_sh"]).get(
        reverse("segmentation:policy")).content.decode()


def test_unclassified_client_page_still_renders(branches, staff):
    c = ClientFactory(branch=branches[0], account_manager=staff["am1"])
    html = browser(staff["am1"]).get(reverse("clients:detail", args=[c.pk])).content.decode()
    assert "has not classified this client yet" in html


@pytest.mark.parametrize("lang, as_of, window", [
    ("en", "as of {d} (trading day)", "over the last 64 trading days"),
    ("zh-hans", "截至 {d}（交易日）", "最近 64 个交易日"),
])
def test_dashboard_says_which_trading_day_and_what_window_its_figures_are_from(nightly_book, staff, lang, as_of,
                                                                                 window):
    """64 trading days imported: the figures cover 64 days, not "250", and come from the last night's day."""
    last = DAYS[-1].isoformat()
    for who in ("head", "am1"):  # the firm's snapshot, and an account manager's own book
        b = browser(staff[who])
        b.cookies["django_language"] = lang
        html = b.get(reverse("segmentation:dashboard")).content.decode()
        assert as_of.format(d=last) in html, who
    assert window in html and "250" not in html


@pytest.mark.parametrize("lang, as_of", [("en", "as of {d} (trading day)"), ("zh-hans", "截至 {d}（交易日）")])
def test_client_page_dates_its_segments_and_groups_its_value(nightly_book, staff, lang, as_of):
    zhao = nightly_book["zhao"]  # pays commission every day: a lifetime value in the tens of thousands
    zhao.segment.refresh_from_db()
    b = browser(staff["am1"])
    b.cookies["django_language"] = lang
    html = b.get(reverse("clients:detail", args=[zhao.pk])).content.decode()
    assert html.count(as_of.format(d=DAYS[-1].isoformat())) >= 2  # the summary card and the panel
    ltv = zhao.segment.lifetime_value
    assert ltv >= 1000 and f'<strong id="ltv">{ltv:,.2f}</strong>' in html and f">{ltv}<" not in html
    listed = b.get(reverse("clients:list")).content.decode()
    assert as_of.format(d=DAYS[-1].isoformat()) in listed  # the churn column
