"""Thin Celery tasks: turn imported codes into relationship records (idempotent, safe to re-run)."""

from celery import shared_task

from . import services


@shared_task(name="referrals.sync_imported_relationships")
def sync_imported_relationships() -> dict:
    """After a clients import: intermediary codes become dated links, referrer accounts become referrals."""
    return {"links": services.intermediary_links_sync(), "referrals": services.referrals_sync_from_clients()}
