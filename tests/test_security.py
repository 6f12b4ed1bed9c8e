"""The site's doors: login lockout, CSP, no-store, the schema behind login, no open redirect, own account."""

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from futures_crm.models import AuditEntry
from futures_crm.roles import Role
from service.models import Task

from .factories import PASSWORD, BranchFactory, ClientFactory, make_staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one_then_an_admin_unlocks_it(settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = make_staff(Role.ACCOUNT_MANAGER, username="am_locked")
    browser = Client()
    for _ in range(4):
        assert _login(browser, "am_locked", "wrong").status_code == 200  # the form again, with its error
    locked = _login(browser, "am_locked", "wrong", ip="10.0.0.2")
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    # Locked per account: the right password from another address is refused too.
    assert _login(Client(), "am_locked", PASSWORD, ip="10.0.0.3").status_code == 429
    entries = list(AuditEntry.objects.filter(action="auth.lockout").order_by("id"))
    assert entries and {e.after["username"] for e in entries} == {"am_locked"}  # every refusal is on the trail
    assert entries[0].after["ip_address"] == "10.0.0.2"

    call_command("axes_reset_username", "am_locked")  # what the admin's "Access attempts" delete does
    response = _login(Client(), "am_locked", PASSWORD, ip="10.0.0.3")
    assert response.status_code == 302 and user.pk


def test_an_address_guessing_many_accounts_is_locked(settings):
    settings.AXES_FAILURE_LIMIT = 5
    make_staff(Role.SERVICE_AGENT, username="svc_ok")
    for n in range(5):
        _login(Client(), f"nobody{n}", "guess", ip="10.9.9.9")
    assert _login(Client(), "svc_ok", PASSWORD, ip="10.9.9.9").status_code == 429
    assert _login(Client(), "svc_ok", PASSWORD, ip="10.9.9.8").status_code == 302
    assert AccessAttempt.objects.filter(ip_address="10.9.9.9").exists()


def test_every_page_sends_a_strict_content_security_policy_and_staff_pages_are_not_stored(client):
    anonymous = client.get("/login/")
    policy = anonymous["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'self'" in policy
    manager = make_staff(Role.ACCOUNT_MANAGER, username="am_headers")
    client.force_login(manager)
    page = client.get("/clients/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Content-Security-Policy" in page
    assert ' onchange=' not in page.content.decode() and ' style="' not in page.content.decode()
    token = Token.objects.create(user=manager)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert "no-store" in api.get("/api/clients/")["Cache-Control"]


def test_the_api_schema_and_docs_require_a_staff_login(client):
    assert client.get("/api/schema/").status_code in {401, 403}
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    client.force_login(make_staff(Role.BACK_OFFICE, username="bo_schema"))
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200 and "<script>" not in page.content.decode()  # its start-up script is a file


def test_completing_a_task_never_redirects_off_site(client):
    branch = BranchFactory()
    manager = make_staff(Role.ACCOUNT_MANAGER, branch=branch, username="am_next")
    mine = ClientFactory(account_manager=manager, branch=branch)
    task = Task.objects.create(client=mine, owner=manager, title="call", kind="call_back",
                               due_on=datetime.date(2026, 12, 1))
    client.force_login(manager)
    response = client.post(f"/service/tasks/{task.pk}/complete/",
                           {"action": "complete", "outcome": "done", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/service/tasks/"
    task2 = Task.objects.create(client=mine, owner=manager, title="call again", kind="call_back",
                                due_on=datetime.date(2026, 12, 1))
    response = client.post(f"/service/tasks/{task2.pk}/complete/",
                           {"action": "complete", "outcome": "done", "next": "/service/tasks/?status=done"})
    assert response["Location"] == "/service/tasks/?status=done"


def test_staff_change_their_own_password_and_revoke_their_own_token(client):
    manager = make_staff(Role.ACCOUNT_MANAGER, username="am_self")
    token = Token.objects.create(user=manager)
    client.force_login(manager)
    assert "API token" in client.get("/account/").content.decode()
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "Fresh-pass-2027!",
                                                  "new_password2": "Fresh-pass-2027!"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Fresh-pass-2027!")
    assert client.post("/account/").status_code == 302
    assert not Token.objects.filter(pk=token.pk).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/clients/").status_code in {401, 403}  # the token is unknown now
    assert set(AuditEntry.objects.filter(actor=manager).values_list("action", flat=True)) >= {
        "auth.password_change", "auth.token_revoke"}


def test_a_too_fast_api_user_is_throttled_not_served(settings):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    manager = make_staff(Role.ACCOUNT_MANAGER, username="am_fast")
    api = APIClient()
    api.force_authenticate(manager)
    cache.clear()
    rates = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**rates, "user": "3/minute"}
    try:
        codes = [api.get("/api/clients/").status_code for _ in range(4)]
    finally:
        UserRateThrottle.THROTTLE_RATES = rates
        cache.clear()
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize("key", ["change-me-to-a-long-random-string-of-at-least-fifty-characters-0123456789",
                                 "dev-only-insecure-key-change-me", "short"])
def test_production_refuses_the_example_or_a_weak_secret_key(key):
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(SECRET_KEY=key, DATABASE_URL="postgres://crm@db.example.com:5432/crm")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    assert subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True).returncode == 0


def test_no_template_holds_an_inline_script_handler_or_style():
    """The Content-Security-Policy would block them in the browser: keep them in static files."""
    import re

    pattern = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|\sstyle=\"|<style", re.I)
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}"
             for path in ROOT.glob("*/templates/**/*.html") if ".venv" not in path.parts
             for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in (ROOT / "templates").rglob("*.html")
              for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("name", ['=HYPERLINK("https://evil.example/","点我")', "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1)", "\t=1+1"])
def test_csv_exports_write_formula_like_text_as_text(client, name):
    import csv
    import io

    branch = BranchFactory()
    manager = make_staff(Role.ACCOUNT_MANAGER, branch=branch, username="am_csv")
    ClientFactory(account_manager=manager, branch=branch, name=name)
    client.force_login(manager)
    response = client.get("/clients/?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row if name.strip() in cell]
    assert cells == ["'" + name]


def test_numbers_in_csv_exports_stay_numbers():
    from futures_crm.exports import formula_safe

    assert [formula_safe(v) for v in ["-5.00", "+1,234.50", "-0", "1e5", "-x"]] == [
        "-5.00", "+1,234.50", "-0", "1e5", "'-x"]
