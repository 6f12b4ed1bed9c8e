import pytest
from rest_framework.test import APIClient

from futures_crm.roles import Role

from .factories import BranchFactory, ClientFactory, make_staff


@pytest.fixture
def branches(db):
    return BranchFactory(code="SH01", name="上海营业部", city="上海"), BranchFactory(code="BJ01", name="北京营业部",
                                                                                   city="北京")


@pytest.fixture
def staff(branches):
    """One user per role; the two account managers and the branch manager work in Shanghai."""
    sh, bj = branches
    return {
        "admin": make_staff(Role.ADMIN, username="admin_u"),
        "head": make_staff(Role.HEAD_OFFICE, username="head_u"),
        "bm_sh": make_staff(Role.BRANCH_MANAGER, branch=sh, username="bm_sh"),
        "bm_bj": make_staff(Role.BRANCH_MANAGER, branch=bj, username="bm_bj"),
        "am1": make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am1", code="AM001", name="王经理"),
        "am2": make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="am2", code="AM002", name="李经理"),
        "agent": make_staff(Role.SERVICE_AGENT, branch=sh, username="agent_u"),
        "marketing": make_staff(Role.MARKETING, username="mkt_u"),
        "compliance": make_staff(Role.COMPLIANCE, username="comp_u"),
        "backoffice": make_staff(Role.BACK_OFFICE, username="bo_u"),
    }


@pytest.fixture
def book(staff, branches):
    """Clients: two of am1's, one of am2's in Shanghai, one in Beijing with no manager."""
    sh, bj = branches
    return {
        "zhang": ClientFactory(name="张三", branch=sh, account_manager=staff["am1"], phone="13800001111"),
        "zhao": ClientFactory(name="赵敏", branch=sh, account_manager=staff["am1"]),
        "li": ClientFactory(name="李四", branch=sh, account_manager=staff["am2"]),
        "wang": ClientFactory(name="王五", branch=bj),
    }


@pytest.fixture
def api():
    def login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login


@pytest.fixture
def celery_worker_live(transactional_db):
    """A real Celery worker thread consuming from the real Redis broker (CELERY_BROKER_URL).

    Tests using it must let the worker see their rows, hence the transactional database.
    """
    from celery.contrib.testing.worker import start_worker

    from futures_crm.celery import app

    if app.conf.task_always_eager:
        pytest.fail("CELERY_BROKER_URL is not set: the Celery tests need Redis (see `make test`)")
    # Prefetch 4, not the workers' 1: this in-process thread-pool worker (Celery's synchronous loop) starts a
    # task it received with prefetch 1 only on its next ~10 s poll; real prefork workers start it at once.
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=30,
                      prefetch_multiplier=4):
        yield app


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; the suite creates hundreds. Hash strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Modules marked `flushes_db` build their data in the committed test database (a live server must see it)
    and flush it at the end, which also takes what the migrations seeded (products, message templates, deadline
    policies): they run last, after pytest-django's own order, so no test after them misses those rows."""
    items.sort(key=lambda item: item.get_closest_marker("flushes_db") is not None)
