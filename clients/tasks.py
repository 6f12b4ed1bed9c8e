"""Celery tasks of the client archive: thin wrappers round services."""

from celery import shared_task


@shared_task(name="clients.import_drop_folder")
def import_drop_folder() -> list[int]:
    """Import what has appeared in settings.IMPORT_DROP_DIR (periodic, see CELERY_BEAT_SCHEDULE)."""
    from .imports.services import import_drop_folder as run

    return [batch.pk for batch in run()]
