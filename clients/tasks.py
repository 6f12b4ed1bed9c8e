"""Celery tasks of the client archive: thin wrappers round services."""

from celery import shared_task
from django.conf import settings

from futures_crm.celery import app as _app  # noqa: F401 - a task sent from here goes through the configured app


@shared_task(name="clients.import_drop_folder")
def import_drop_folder() -> list[int]:
    """Import what has appeared in settings.IMPORT_DROP_DIR (periodic, see CELERY_BEAT_SCHEDULE)."""
    from .imports.services import import_drop_folder as run

    return [batch.pk for batch in run()]


# The soft limit raises inside the import, which then ends its batch failed; the hard limit (a minute
# later) kills a worker stuck in C code, and the stale sweep fails the batch.
@shared_task(name="clients.import_batch", soft_time_limit=settings.IMPORT_TIME_LIMIT,
             time_limit=settings.IMPORT_TIME_LIMIT + 60)
def import_batch(batch_id: int) -> str:
    """Import a file a request queued (page or API upload); returns the batch's final status."""
    from .imports.services import import_queued

    return import_queued(batch_id=batch_id).status


@shared_task(name="clients.import_fail_stale")
def import_fail_stale() -> list[int]:
    """Mark failed the import batches whose worker is gone (periodic, see CELERY_BEAT_SCHEDULE)."""
    from .imports.services import import_fail_stale as sweep

    return [batch.pk for batch in sweep()]


@shared_task(name="clients.ensure_partitions")
def ensure_partitions() -> list[str]:
    """Create the month partitions of this month and the next three (periodic, see CELERY_BEAT_SCHEDULE)."""
    from .partitions import ensure_ahead

    return ensure_ahead()
