"""Python CPU per request of the hot pages, in this process (issue 16): what bench/load.py's server spends.

    DATABASE_URL=postgres://…/futures_crm_load CACHE_URL=redis://127.0.0.1:6379/15 \
        python bench/cpu_per_request.py --runs 40 [--roles manager,service] [--profile out.prof]

Each request goes through the whole Django stack (every middleware, session from the cache, templates, the
access log) with DEBUG off and the production security settings (HTTPS as the TLS proxy reports it, secure
cookies, HSTS, CSP); the user is signed in with a real session. `time.process_time()` around each request
(this process's CPU, PostgreSQL's own work not included); after three warm-up requests per page, the median
and mean of `--runs` requests, each for another client or search term of the user's book. `--profile FILE`
also writes a cProfile of every measured request (read it with `python -m pstats FILE`).
"""

import argparse
import cProfile
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")
os.environ.pop("DEBUG", None)  # production settings: DEBUG off, secure cookies, SSL redirect, HSTS
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("LOG_LEVEL", "WARNING")  # as bench/load.py's server

ROLES = {"manager": "account manager", "service": "service desk", "admin": "administrator"}


def pages(c: dict, desk: bool) -> dict:
    return {
        "client list": "/clients/",
        "client page": f"/clients/{c['id']}/",
        "search: name": f"/clients/?q={c['name'][:2]}",
        "search: pinyin": f"/clients/?q={c['name_pinyin'][:4]}",
        "search: phone": f"/clients/?q={c['phone'] if desk else c['phone'][-8:]}",
        "search: ID last four": f"/clients/?q={c['id_last4']}",
        "API list (50)": "/api/clients/",
        "screen-pop (API)": f"/api/lookup/phone/?number={c['phone']}",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--roles", default="manager,service")
    parser.add_argument("--profile", help="write a cProfile of the measured requests to this file")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client as PageClient

    from clients.models import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    print(f"{Client.objects.count():,} clients, DEBUG off, median / mean Python CPU per request of {args.runs} "
          f"(ms), load average {os.getloadavg()[0]:.2f}\n")
    print("| role | page | median ms | mean ms |\n|---|---|---|---|")
    every = []
    for username in args.roles.split(","):
        user = get_user_model().objects.get(username=username)
        page = PageClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        page.force_login(user)
        book = list(Client.objects.visible_to(user).exclude(phone="").order_by("id")
                    .values("id", "name", "name_pinyin", "phone", "id_last4")[: args.runs + 3])
        desk = username == "service"
        for name in pages(book[0], desk):
            samples = []
            for i in range(args.runs + 3):
                url = pages(book[i % len(book)], desk)[name]
                measured = i >= 3
                if profiler and measured:
                    profiler.enable()
                start = time.process_time()
                response = page.get(url, secure=True)
                took = (time.process_time() - start) * 1000
                if profiler and measured:
                    profiler.disable()
                assert response.status_code == 200, (url, response.status_code)
                if measured:
                    samples.append(took)
            every += samples
            print(f"| {ROLES[username]} | {name} | {statistics.median(samples):.1f} | "
                  f"{statistics.mean(samples):.1f} |", flush=True)
    print(f"| **all** | | {statistics.median(every):.1f} | {statistics.mean(every):.1f} |")
    print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}")
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
