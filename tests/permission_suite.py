"""A reusable row-level access check: a user sees exactly the records they may, everywhere.

An app describes where its records show up (a `Surface`: page list, page detail, CSV export and the
same list's XLSX read cell by cell, search, API list and detail) and calls
`visibility_failures(user, surface, visible, hidden)`; the test asserts the returned list is empty, so
one run names every leak at once.

    surface = Surface(page_list="/clients/", export="/clients/?export=csv", api_list="/api/clients/",
                      page_detail=lambda c: f"/clients/{c.pk}/", api_detail=lambda c: f"/api/clients/{c.pk}/",
                      marker=lambda c: c.account_id, search_term=lambda c: c.account_id)
    assert visibility_failures(user, surface, visible=[...], hidden=[...]) == []

Hidden records must be a 404 on detail pages and endpoints (never a 403 that confirms they exist).
Keep the fixture small enough to fit one page (50 rows) of lists.
"""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
from django.test import Client as PageClient
from rest_framework.test import APIClient


@dataclass(frozen=True)
class Surface:
    """Where one kind of record is shown; any place left None is not checked."""

    marker: Callable  # obj -> text that identifies it in HTML, CSV and JSON (e.g. the account number)
    page_list: str | None = None
    page_detail: Callable | None = None  # obj -> URL
    export: str | None = None  # URL of the CSV export of the list (`export=xlsx` in its place is checked too)
    api_list: str | None = None
    api_detail: Callable | None = None  # obj -> URL
    search_term: Callable | None = None  # obj -> what a user types to find it
    search_param: str = "q"


def _page(user) -> PageClient:
    client = PageClient()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        return "\n".join(str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None)
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def _listed(text: str, objs, marker) -> set:
    return {marker(o) for o in objs if marker(o) in text}


def visibility_failures(user, surface: Surface, *, visible, hidden, pages=True, api=True) -> list[str]:
    """Every place where `user` sees a hidden record or misses a visible one."""
    failures = []
    visible, hidden = list(visible), list(hidden)
    want = {surface.marker(o) for o in visible}
    everything = visible + hidden
    page, rest = _page(user), _api(user)

    def check_list(label, response):
        if response.status_code != 200:
            failures.append(f"{label}: status {response.status_code}")
            return
        text = _body(response)
        if label.startswith("api"):
            text = json.dumps(response.json(), ensure_ascii=False)
        got = _listed(text, everything, surface.marker)
        if got != want:
            failures.append(f"{label}: shows {sorted(got - want)} it must hide, misses {sorted(want - got)}")

    def check_detail(label, url_of):
        for obj in everything:
            status = (page if label == "page detail" else rest).get(url_of(obj)).status_code
            expected = 200 if obj in visible else 404
            if status != expected:
                failures.append(f"{label} {surface.marker(obj)}: status {status}, expected {expected}")

    if pages and surface.page_list:
        check_list("page list", page.get(surface.page_list))
    if pages and surface.export:
        check_list("export", page.get(surface.export))
        if "export=csv" in surface.export:
            check_list("xlsx export", page.get(surface.export.replace("export=csv", "export=xlsx")))
    if pages and surface.page_detail:
        check_detail("page detail", surface.page_detail)
    if api and surface.api_list:
        check_list("api list", rest.get(surface.api_list))
    if api and surface.api_detail:
        check_detail("api detail", surface.api_detail)
    if surface.search_term:
        for obj in everything:
            term = surface.search_term(obj)
            targets = []
            if pages and surface.page_list:
                targets.append(("page search", page, surface.page_list))
            if api and surface.api_list:
                targets.append(("api search", rest, surface.api_list))
            for label, client, url in targets:
                response = client.get(url, {surface.search_param: term})
                text = json.dumps(response.json(), ensure_ascii=False) if label.startswith("api") else _body(response)
                found = surface.marker(obj) in text
                if found != (obj in visible):
                    failures.append(f"{label} {term!r}: {'found' if found else 'missed'} {surface.marker(obj)}")
    return failures


def pages_forbidden_failures(user, urls) -> list[str]:
    """An API-only or unauthorised role gets 403 on every page (the pages are not theirs at all)."""
    page = _page(user)
    return [f"{url}: status {status}" for url in urls if (status := page.get(url).status_code) != 403]
