"""Benchmark of the client pages one user at a time: list, searches, client page, export, API list, screen-pop.

Run against the database in DATABASE_URL (empty, or holding a demo, or a demo grown by bench/bulk_clients.py):
    DATABASE_URL=postgres://... python bench/clients_pages.py --clients 20000 --runs 30
An empty database first gets `demo_data --clients N`. Requests go through the whole Django stack (middleware,
sessions, templates, access log) in this process, with DEBUG off as in production; no network, no gunicorn
(bench/load.py measures those). Each page is asked `--runs` times, each time for another client or search term
of the user's book, as the account manager, the service desk and the administrator (firm-wide). Prints a
Markdown table for docs/BENCHMARKS.md: queries per request, min / median / p95 / max in ms; the export's time
and how far the process's memory grew while it streamed.
"""

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")
# Production settings (templates, static manifest), without the HTTPS redirect: this is the test client.
os.environ.pop("DEBUG", None)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.update(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")

ROLES = {"manager": "account manager", "service": "service desk", "admin": "administrator"}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """The largest resident size of this process while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.start = self.peak = rss_mb()
        self.running = True
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20000, help="demo size when the database is empty")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--roles", default="manager,service,admin")
    parser.add_argument("--export-runs", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as PageClient
    from django.test.utils import CaptureQueriesContext

    from clients.models import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if not Client.objects.exists():
        call_command("demo_data", clients=args.clients, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    total = Client.objects.count()
    load = [os.getloadavg()[0]]
    print(f"{total:,} clients, {args.runs} requests per line (each for another client or term), "
          f"PostgreSQL, DEBUG off, Django test client\n")
    print("| role | page | queries | min ms | median ms | p95 ms | max ms |\n|---|---|---|---|---|---|---|")
    users, exports = get_user_model().objects, []
    for username in args.roles.split(","):
        user = users.get(username=username)
        page = PageClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        page.force_login(user)
        book = list(Client.objects.visible_to(user).exclude(phone="").order_by("?")
                    .values("id", "name", "name_pinyin", "phone", "id_last4")[: args.runs])
        desk = username == "service"

        def lines(c, desk=desk):
            return {
                "client list": "/clients/",
                "search: name": f"/clients/?q={c['name'][:2]}",
                "search: pinyin": f"/clients/?q={c['name_pinyin'][:5]}",
                "search: phone": f"/clients/?q={c['phone'] if desk else c['phone'][-8:]}",
                "search: ID last four": f"/clients/?q={c['id_last4']}",
                "client page": f"/clients/{c['id']}/",
                "API list (50)": "/api/clients/",
                "screen-pop (API)": f"/api/lookup/phone/?number={c['phone']}",
            }

        for name in lines(book[0]):
            samples, queries = [], 0
            for i in range(args.runs):
                url = lines(book[i % len(book)])[name]
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = page.get(url)
                    samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                queries = max(queries, len(ctx.captured_queries))
            print(f"| {ROLES[username]} | {name} | {queries} | {min(samples):.0f} | {statistics.median(samples):.0f} "
                  f"| {percentile(samples, 95):.0f} | {max(samples):.0f} |", flush=True)
        load.append(os.getloadavg()[0])
        for _ in range(args.export_runs if username != "admin" else 1):
            with PeakMemory() as memory:
                start = time.perf_counter()
                response = page.get("/clients/?export=csv")
                size = rows = 0
                for chunk in response.streaming_content:
                    size += len(chunk)
                    rows += chunk.count(b"\n")
                took = time.perf_counter() - start
            exports.append(f"- {ROLES[username]}: CSV export streamed, {rows - 1:,} rows ({size / 2**20:.0f} MB) in "
                           f"{took:.1f} s; the process grew by {memory.peak - memory.start:.0f} MB while it "
                           f"streamed (peak {memory.peak:.0f} MB)")
    load.append(os.getloadavg()[0])
    print("\n" + "\n".join(exports))
    print(f"\nload average (1 min) at start and after each role: {', '.join(f'{x:.1f}' for x in load)}")


if __name__ == "__main__":
    main()
