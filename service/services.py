"""Service-desk writes other apps call (the nightly engine creates tasks through `task_upsert`)."""

import datetime

from django.db import IntegrityError, transaction

from .choices import TaskStatus
from .models import Task


def task_upsert(*, client, kind: str, due_on: datetime.date, owner=None, title: str = "", source: str = "") -> Task:
    """Open a task for (client, kind), or update the open one: never two open tasks of a kind."""
    branch = client.branch if client is not None else None
    defaults = {"owner": owner, "branch": branch, "due_on": due_on, "title": title, "source": source}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                task, _created = Task.objects.update_or_create(
                    client=client, kind=kind, status=TaskStatus.OPEN, defaults=defaults
                )
                return task
        except IntegrityError:
            # A concurrent writer opened it first; the second attempt updates that one.
            continue
    raise RuntimeError("task_upsert: could not open or update the task")
