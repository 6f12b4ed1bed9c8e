"""The import page in a real browser: upload a file, read the report, switch to Chinese."""

import pytest

from tests.factories import PASSWORD

from .conftest import account_row

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_upload_in_browser_shows_report(live_server, staff, write_csv, browser_page, tmp_path):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "head_u")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/clients/imports/")
    path = write_csv("accounts", [account_row(account_id="1"), account_row(account_id="2", commission="x")])
    page.select_option("select[name=kind]", "accounts")
    page.set_input_files("input[name=file]", str(path))
    page.check("input[name=partial]")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#report-status")
    assert "Imported, some rows quarantined" in page.inner_text("#report-status")
    assert "“x” is not a decimal amount" in page.inner_text("#errors")
    page.screenshot(path=str(tmp_path / "import_report.png"), full_page=True)
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")  # the switch submits a form: wait for the new page
    assert "已导入，部分行已隔离" in page.inner_text("#report-status")
    page.screenshot(path=str(tmp_path / "import_report_zh.png"), full_page=True)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_batch_page_follows_an_import_on_a_real_worker(live_server, staff, celery_worker_live, tmp_path,
                                                           settings, request):
    """The page shows the batch waiting, then (without a reload by the test) its report once the worker is done."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clients.demo_settlement import ACCOUNT_HEADER
    from clients.imports.services import import_submit

    settings.MEDIA_ROOT = tmp_path / "media"
    # A larger file first: the one worker process is busy with it while the page's file waits in the queue.
    line = ",".join(account_row("{a}")[h] for h in ACCOUNT_HEADER) + "\n"
    big = (",".join(ACCOUNT_HEADER) + "\n" + "".join(line.format(a=f"8{n:07d}") for n in range(60000))).encode()
    first = import_submit(kind="accounts", upload=SimpleUploadedFile("big.csv", big), by=staff["head"])
    assert first.status == "queued"

    page = request.getfixturevalue("browser_page")  # after the database work: Playwright runs an event loop
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "head_u")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/clients/imports/")
    path = tmp_path / "small.csv"
    path.write_text(",".join(ACCOUNT_HEADER) + "\n" + line.format(a="90000001"))
    page.select_option("select[name=kind]", "accounts")
    page.set_input_files("input[name=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-progress")
    assert page.inner_text("#report-status").strip() in {"Waiting for a worker", "Running"}
    page.wait_for_selector("#report-status .badge:text('Imported')", timeout=90_000)
    assert "Imported." in page.inner_text("#report-status")
    assert page.query_selector("#import-progress") is None
    page.screenshot(path=str(tmp_path / "import_followed.png"), full_page=True)
