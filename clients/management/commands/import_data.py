"""`manage.py import_data KIND PATH [--encoding auto|utf-8|gb18030] [--partial]`."""

from django.core.management.base import BaseCommand, CommandError

from clients.imports.formats import FORMATS
from clients.imports.services import batch_report_text, import_run
from clients.models.imports import ImportSource


class Command(BaseCommand):
    help = "Import a back-office file (clients, accounts or contracts); exit status 0 when imported."
    # The system checks import every URLconf and view (≈ 0.4 s of a nightly file's process start); they
    # have nothing to say about an import and run with every other command, migrate and runserver.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(FORMATS))
        parser.add_argument("path")
        parser.add_argument("--encoding", default="auto", choices=["auto", "utf-8", "gb18030"])
        parser.add_argument("--partial", action="store_true", help="write good rows, quarantine bad ones")

    def handle(self, *args, kind, path, encoding, partial, **options):
        try:
            batch = import_run(kind=kind, path=path, encoding=encoding, partial=partial, source=ImportSource.COMMAND)
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        self.stdout.write(batch_report_text(batch))
        if not batch.ok:
            raise CommandError(batch.message or "rejected", returncode=2)
