"""Benchmark of the client archive's pages: demo generation, list, pinyin search, CSV export, API list.

Run against the database in DATABASE_URL (it must be empty or hold only demo data):
    DEBUG=1 DATABASE_URL=postgres://... python bench/clients_pages.py --clients 20000
Prints a Markdown table for docs/BENCHMARKS.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")


def timed(fn, runs=5):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client as PageClient
    from rest_framework.test import APIClient

    from clients.models import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    if not Client.objects.exists():
        call_command("demo_data", clients=args.clients, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    build = time.perf_counter() - start
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    page = PageClient()
    page.force_login(admin)
    api = APIClient()
    api.force_authenticate(admin)

    def export():
        b"".join(page.get("/clients/?export=csv").streaming_content)

    rows = [
        ("demo_data generation", f"{build:.1f} s"),
        ("client list page (50 rows)", f"{timed(lambda: page.get('/clients/')):.0f} ms"),
        ("pinyin initials search `zs`", f"{timed(lambda: page.get('/clients/?q=zs')):.0f} ms"),
        ("full pinyin search `zhang`", f"{timed(lambda: page.get('/clients/?q=zhang')):.0f} ms"),
        ("ID last-four search", f"{timed(lambda: page.get('/clients/?q=1234')):.0f} ms"),
        ("filtered + sorted list", f"{timed(lambda: page.get('/clients/?status=active&ordering=-open_date')):.0f} ms"),
        ("CSV export of every client", f"{timed(export, runs=3):.0f} ms"),
        ("API list (50 rows)", f"{timed(lambda: api.get('/api/clients/')):.0f} ms"),
    ]
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{Client.objects.count()} clients, {engine}, median of 5 runs (3 for the export), admin user:\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
