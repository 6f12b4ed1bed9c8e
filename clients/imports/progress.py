"""A running batch's progress and heartbeat, written outside the import's own transaction.

The import's rows stay invisible until its transaction commits, yet the batch page shows how far it has
gone while it runs, and a batch whose worker died must be told from one still at work. So a thread
writes the counters and a heartbeat every HEARTBEAT_SECONDS on a database connection of its own (in
autocommit), also while the import waits on one long SQL statement. When the process dies the
heartbeat stops, and after STALE_AFTER without one the batch is stale (`services.import_fail_stale`).
"""

import datetime
import json
import logging
import threading

from django.db import connections
from django.db.utils import DEFAULT_DB_ALIAS

from ..models.imports import BatchStatus

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
# A running batch silent for this long has lost its worker (killed, restarted, its machine gone).
STALE_AFTER = datetime.timedelta(minutes=2)
PHASES = ("queued", "reading", "writing", "finishing", "done")


def _counters() -> dict:
    return {"phase": "reading", "read": 0, "checked": 0, "rejected": 0, "written": 0, "bytes": 0, "size": 0}


class Progress:
    """The counters the import updates in memory (cheap, every chunk of lines) and the thread writes out.

    `live=False` (the batch is not committed yet, e.g. an import inside a caller's transaction): the
    counters are kept but nothing is written; the batch's final save carries them.
    """

    def __init__(self, batch_id: int | None = None, *, live: bool = False):
        self.batch_id = batch_id
        self.live = live and batch_id is not None
        self.counters = _counters()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._db = None

    def update(self, **values) -> None:
        self.counters.update(values)

    def snapshot(self) -> dict:
        return dict(self.counters)

    def __enter__(self):
        if self.live:
            self._thread = threading.Thread(target=self._beat, name=f"import-{self.batch_id}-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self) -> None:
        """Stop writing (before the import records its outcome: no write of ours may follow it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _beat(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                self._write()
        finally:
            self._close()

    def _write(self) -> None:
        try:
            if self._db is None:
                self._db = connections.create_connection(DEFAULT_DB_ALIAS)  # autocommit, this thread's own
            with self._db.cursor() as cur:
                cur.execute("UPDATE clients_importbatch SET progress = %s::jsonb, heartbeat_at = now() "
                            "WHERE id = %s AND status = %s",
                            [json.dumps(self.snapshot()), self.batch_id, BatchStatus.RUNNING.value])
        except Exception:  # noqa: BLE001 - the heartbeat must outlive any error of its own
            # The database is away for a moment: try again with a new connection at the next beat. Should
            # it stay away, the import itself fails and says so.
            logger.warning("import batch %s: could not write its progress", self.batch_id, exc_info=True)
            self._close()

    def _close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except Exception:  # noqa: BLE001 - a connection already broken
                logger.debug("import batch %s: heartbeat connection closed with an error", self.batch_id)
            self._db = None
