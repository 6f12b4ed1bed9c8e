"""`manage.py demo_data --clients N --seed S [--if-empty]`: a synthetic brokerage to try the CRM with."""

import datetime

from django.core.management.base import BaseCommand

from clients import demo
from clients.models import Client


class Command(BaseCommand):
    help = "Create a realistic, deterministic demo brokerage: branches, staff of every role, clients, contacts."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500, help="number of clients to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same book")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when clients already exist")
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                            help="reference day (YYYY-MM-DD) the history is generated back from; default today")
        parser.add_argument("--days", type=int, default=0,
                            help="also D trading days of settlement history for every client (through the import)")

    def handle(self, *args, **options):
        if options["if_empty"] and Client.objects.exists():
            self.stdout.write("Demo data: the database already has clients, nothing loaded.")
        else:
            book = self.generate(options)
            self.stdout.write(self.style.SUCCESS(
                f"Demo data: {len(book.branches)} branches, {len(book.managers)} account managers, "
                f"{len(book.clients)} clients (seed {options['seed']})."
            ))
            if options["days"]:
                self.load_settlement(options)
        self.print_logins()

    def generate(self, options) -> demo.DemoBook:
        """Build the book; commands that add history extend this and take the returned book."""
        return demo.build(clients=options["clients"], seed=options["seed"], today=options["today"])

    def load_settlement(self, options):
        """Settlement history for every client, imported by the ordinary import (see clients.demo_settlement)."""
        from clients.demo_settlement import demo_settlement_load

        for batch in demo_settlement_load(days=options["days"], seed=options["seed"], end=options["today"]):
            self.stdout.write(f"Demo settlement: {batch.kind} {batch.status}, {batch.rows_written} rows "
                              f"({batch.date_from} to {batch.date_to}).")

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for every demo user: {demo.DEMO_PASSWORD}):")
        for label, username in demo.DEMO_LOGINS:
            self.stdout.write(f"  {label:<16} {username}")
