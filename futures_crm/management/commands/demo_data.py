"""`manage.py demo_data --clients N --seed S [--if-empty] [--days D]`: a synthetic brokerage to try the CRM with."""

import datetime
import time

from django.core.management.base import BaseCommand

from clients import demo
from clients.models import Client


class Command(BaseCommand):
    help = ("Create a realistic, deterministic demo brokerage: branches, staff of every role, clients, contacts, "
            "intermediaries, referrals, the club, tickets, prospects, activities, surveys, tasks; with --days, "
            "settlement history through the import and the nightly engine run for each of its trading days.")

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500, help="number of clients to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same book")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when clients already exist")
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                            help="reference day (YYYY-MM-DD) the history is generated back from; default today")
        parser.add_argument("--days", type=int, default=0,
                            help="also D trading days of settlement history for every client (through the import), "
                                 "and the nightly engine run for each of them")

    def handle(self, *args, **options):
        if options["if_empty"] and Client.objects.exists():
            self.stdout.write("Demo data: the database already has clients, nothing loaded.")
        else:
            self.started = time.monotonic()
            book = self.generate(options)
            self.stdout.write(self.style.SUCCESS(
                f"Demo data: {len(book.branches)} branches, {len(book.managers)} account managers, "
                f"{len(book.clients)} clients (seed {options['seed']}){self.took()}."
            ))
            self.consents(book)
            if options["days"]:
                self.load_settlement(options, book)
            self.relationships(book)
            self.service_desk(book)
            if book.days:
                self.nights(book)
            self.worked_tasks(book)
        self.print_logins()

    def took(self) -> str:
        now = time.monotonic()
        seconds, self.started = now - self.started, now
        return f" in {seconds:.1f} s"

    # The command is the demo's composition root: it runs the demo steps of every app, in the order the
    # records depend on each other (intermediaries before the clients who name them, the settlement history
    # before the rebates, everything before the nightly engine that reads it).

    def generate(self, options) -> demo.DemoBook:
        """The client archive, with the intermediary registry its clients name (referrals.demo)."""
        from referrals.demo import make_intermediaries

        return demo.build(clients=options["clients"], seed=options["seed"], today=options["today"],
                          days=options["days"], before_clients=[make_intermediaries])

    def consents(self, book: demo.DemoBook):
        """The demo clients' consent flags as records (privacy), as the migration did for stored clients."""
        from privacy.services import consents_from_flags

        count = consents_from_flags(Client.objects.filter(pk__in=[c.pk for c in book.clients]))
        self.stdout.write(f"Demo consents: {count} consent records{self.took()}.")

    def load_settlement(self, options, book: demo.DemoBook):
        """Settlement history for every client, imported by the ordinary import (see clients.demo_settlement)."""
        from clients.demo_settlement import demo_settlement_load

        batches = demo_settlement_load(days=options["days"], seed=options["seed"], end=options["today"],
                                       stories=book.stories)
        took = self.took()
        for batch in batches:
            self.stdout.write(f"Demo settlement: {batch.kind} {batch.status}, {batch.rows_written} rows "
                              f"({batch.date_from} to {batch.date_to}){took}.")
            took = ""

    def relationships(self, book: demo.DemoBook):
        from referrals import demo as referrals_demo
        from referrals.models import ClubMembership, IntermediaryLink, RebateStatement, Referral

        referrals_demo.build(book)
        self.stdout.write(
            f"Demo relationships: {len(book.intermediaries)} intermediaries, "
            f"{IntermediaryLink.objects.filter(valid_to__isnull=True).count()} attributed clients, "
            f"{Referral.objects.count()} referrals, {ClubMembership.objects.count()} club members, "
            f"{RebateStatement.objects.filter(status='confirmed').count()} confirmed rebate statements{self.took()}.")

    def service_desk(self, book: demo.DemoBook):
        from service import demo as service_demo
        from service.models import ActivityRecipient, CommunicationLog, Prospect, Survey, Task, Ticket

        service_demo.build(book)
        self.stdout.write(
            f"Demo service desk: {Ticket.objects.count()} tickets "
            f"({Ticket.objects.filter(escalated_at__isnull=False).count()} escalated), "
            f"{Prospect.objects.count()} prospects, {ActivityRecipient.objects.count()} activity recipients, "
            f"{Survey.objects.count()} survey answers, {CommunicationLog.objects.count()} messages, "
            f"{Task.objects.filter(status='open').count()} open tasks{self.took()}.")

    def nights(self, book: demo.DemoBook):
        """The nightly engine for each trading day of the history, oldest first (the first night rebuilds)."""
        from segmentation.models import ClientSegment
        from segmentation.services import current_policy, run_range

        runs = run_range(start=book.days[0], end=book.days[-1])
        high = current_policy().value("retention_score")
        segments = ClientSegment.objects.all()
        self.stdout.write(
            f"Demo nights: {sum(r.status == 'succeeded' for r in runs)} of {len(runs)} nightly runs succeeded "
            f"({runs[0].trade_date} to {runs[-1].trade_date}): "
            f"{segments.filter(churn_score__gte=high).count()} clients at high churn risk, "
            f"{segments.filter(volume='dormant').count()} dormant, {segments.filter(churned=True).count()} churned, "
            f"{segments.filter(loyal=True).count()} loyal{self.took()}.")

    def worked_tasks(self, book: demo.DemoBook):
        from service import demo as service_demo

        closed = service_demo.close_worked_tasks(book)
        self.stdout.write(f"Demo follow-ups: {closed} tasks due over a week ago closed as worked{self.took()}.")

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for every demo user: {demo.DEMO_PASSWORD}):")
        for label, username in demo.DEMO_LOGINS:
            self.stdout.write(f"  {label:<18} {username}")
