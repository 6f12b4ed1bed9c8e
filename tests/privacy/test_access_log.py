"""The personal-data access log: one insert per request that shows unmasked data, reviewable by compliance."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from privacy.models import PersonalDataAccess


def _inserts(ctx) -> int:
    return sum(q["sql"].startswith('INSERT INTO "privacy_personaldataaccess"') for q in ctx.captured_queries)


def test_client_page_logs_the_contact_details_once_and_the_reveal_with_them(staff, book, page):
    zhang = book["zhang"]
    client = page(staff["bm_sh"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/clients/{zhang.pk}/").status_code == 200
    assert _inserts(ctx) == 1
    entry = PersonalDataAccess.objects.get()
    assert (entry.by, entry.client, entry.via, entry.path) == (staff["bm_sh"], zhang, "page", f"/clients/{zhang.pk}/")
    assert "phone" in entry.fields and "id_number" not in entry.fields
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(f"/clients/{zhang.pk}/reveal-id/").status_code == 200
    assert _inserts(ctx) == 1
    assert "id_number" in PersonalDataAccess.objects.order_by("-id").first().fields


def test_the_service_desk_sees_masked_data_and_leaves_no_entry(staff, book, page):
    assert page(staff["agent"]).get(f"/clients/{book['zhang'].pk}/").status_code == 200
    assert page(staff["agent"]).get("/clients/").status_code == 200
    assert not PersonalDataAccess.objects.exists()


def test_list_page_and_api_log_every_shown_client_in_one_insert(staff, book, page, api):
    with CaptureQueriesContext(connection) as ctx:
        assert page(staff["am1"]).get("/clients/").status_code == 200
    assert _inserts(ctx) == 1
    assert set(PersonalDataAccess.objects.values_list("client__name", flat=True)) == {"张三", "赵敏"}
    PersonalDataAccess.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        assert api(staff["bm_sh"]).get("/api/clients/").status_code == 200
    assert _inserts(ctx) == 1
    assert PersonalDataAccess.objects.filter(via="api").count() == 3  # the Shanghai branch's three clients
    assert api(staff["agent"]).get(f"/api/clients/{book['zhang'].pk}/").status_code == 200
    assert api(staff["am1"]).get(f"/api/clients/{book['zhang'].pk}/").status_code == 200
    assert PersonalDataAccess.objects.filter(via="api", by=staff["am1"]).count() == 1
    assert not PersonalDataAccess.objects.filter(by=staff["agent"]).exists()


def test_compliance_reviews_the_log_filtered_and_exported_others_may_not(staff, book, page):
    page(staff["am1"]).get(f"/clients/{book['zhang'].pk}/")
    page(staff["bm_sh"]).get(f"/clients/{book['li'].pk}/")
    reviewer = page(staff["compliance"])
    reviewer.cookies["django_language"] = "zh-hans"
    html = reviewer.get("/privacy/access-log/", {"by": staff["am1"].pk}).content.decode()
    assert "张三" in html and "李四" not in html and "手机" in html
    assert book["li"].account_id in reviewer.get("/privacy/access-log/",
                                                 {"account_id": book["li"].account_id}).content.decode()
    export = reviewer.get("/privacy/access-log/", {"export": "csv"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert export.status_code == 200 and book["zhang"].account_id in text and book["li"].account_id in text
    assert reviewer.get("/privacy/access-log/", {"export": "xlsx"}).status_code == 200
    assert page(staff["admin"]).get("/privacy/access-log/").status_code == 200
    for who in ("am1", "bm_sh", "head", "marketing", "agent"):
        assert page(staff[who]).get("/privacy/access-log/").status_code == 403, who


def test_caller_lookup_logs_what_it_shows_unmasked(staff, book, page, api):
    number = book["zhang"].phone
    assert page(staff["am1"]).get("/lookup/", {"phone": number}).status_code == 200
    assert api(staff["am1"]).get("/api/lookup/phone/", {"number": number}).status_code == 200
    assert sorted(PersonalDataAccess.objects.values_list("via", flat=True)) == ["api", "page"]
    assert set(PersonalDataAccess.objects.values_list("client_id", flat=True)) == {book["zhang"].pk}
    # The service desk sees the card masked: nothing to log.
    page(staff["agent"]).get("/lookup/", {"phone": number})
    assert PersonalDataAccess.objects.count() == 2
