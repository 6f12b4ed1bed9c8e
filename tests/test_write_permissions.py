"""Every write, for every role and an in-scope and an out-of-scope target: the page and the API give the same
answer, and a refused write changes nothing (see tests/write_permission_suite.py for the rules)."""

import dataclasses

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path
from django.views import View
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from futures_crm import urls as project_urls
from tests import write_permission_suite as suite


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The two branches, a user per role, three target sides: built once, rolled back after the module.

    Each case runs its doors in savepoints inside this transaction, so every case starts from this state.
    """
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), transaction.atomic():
        yield suite.build_world()
        transaction.set_rollback(True)


def _params(cases):
    return [pytest.param(*case, id=case[0],
                         marks=[pytest.mark.xfail(reason=suite.KNOWN_BYPASSES[case[0]], strict=True)]
                         if case[0] in suite.KNOWN_BYPASSES else [])
            for case in cases]


def test_every_write_of_the_schema_and_the_urlconf_is_registered():
    problems = suite.unregistered()
    assert not problems, "\n".join(problems)


def test_known_bypasses_name_real_cases():
    cases = {case_id for case_id, *_rest in suite.matrix_case_ids()} | set(suite.bypass_case_ids())
    assert sorted(set(suite.KNOWN_BYPASSES) - cases) == []


@pytest.mark.parametrize(("case_id", "write_id", "actor", "scope"), _params(suite.matrix_case_ids()))
def test_page_and_api_agree_and_a_refusal_changes_nothing(world, db, case_id, write_id, actor, scope):
    failures = suite.write_case_failures(world, write_id, actor, scope)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("case_id", _params([(case_id,) for case_id in suite.bypass_case_ids()]))
def test_the_issues_bypass_payloads_are_refused_on_both_doors(world, db, case_id):
    failures = suite.bypass_case_failures(world, case_id.removeprefix("bypass/"))
    assert not failures, "\n".join(failures)


def test_figures(capsys):
    """The issue's figures: write operations × roles × targets tried, and the bypasses still open."""
    figures = suite.figures()
    with capsys.disabled():
        print("\nwrite-permission suite: " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    assert figures["write × role × target cases"] > 0


# ---------------------------------------------------------------- the suite catches what it must


class _ArchiveView(View):
    def post(self, request, pk):
        return HttpResponse(status=204)


class _ArchiveAPI(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk):
        return Response(status=204)


class URLConfWithNewWrites:
    """The project's URLs plus a page and an API write nobody registered."""

    urlpatterns = [*project_urls.urlpatterns,
                   path("clients/<int:pk>/archive/", _ArchiveView.as_view()),
                   path("api/clients/<int:id>/archive/", _ArchiveAPI.as_view())]


def test_a_new_write_nobody_registered_fails_the_suite():
    with override_settings(ROOT_URLCONF=URLConfWithNewWrites):
        problems = suite.unregistered()
    assert "API POST /api/clients/{id}/archive/: not in the write-permission registry" in problems
    assert "page POST clients/<int:pk>/archive/: not in the write-permission registry" in problems


def test_doors_that_disagree_are_named(world, db):
    """The page refuses an empty form, the API takes the valid PATCH: a disagreement, and a sanity failure."""
    edit = suite.WRITES["client.update"]
    lopsided = dataclasses.replace(edit, id="selftest", page=dataclasses.replace(edit.page, data=lambda c: {}),
                                   apis=edit.apis[:1])
    failures = suite.write_case_failures(world, lopsided, "admin", "in")
    assert any(f.startswith("the doors disagree: page POST clients/<int:pk>/edit/ refused (200) but PATCH")
               for f in failures), failures
    assert any(f.startswith("sanity: page POST clients/<int:pk>/edit/ refused") for f in failures), failures


def test_a_refusal_that_wrote_is_caught(world, db, monkeypatch):
    """A door that writes and then answers 403 is reported with the tables it changed."""
    from clients.api.views import ClientViewSet

    def write_then_refuse(self, serializer):
        serializer.save()
        raise PermissionDenied

    monkeypatch.setattr(ClientViewSet, "perform_update", write_then_refuse)
    failures = suite.write_case_failures(world, "client.update", "head", "in")
    assert "PATCH /api/clients/{id}/ refused (403): refused, yet changed clients_client" in failures, failures
