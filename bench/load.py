"""Load benchmark: N concurrent users against gunicorn started with the docker-compose settings (issue 16).

    DATABASE_URL=postgres://…/db_with_demo CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \
        python bench/load.py --users 50 --duration 60

The database must hold a demo book (`manage.py demo_data --clients 2000`) or a bulk one (bench/bulk_clients.py).
The script
- runs `collectstatic` and starts gunicorn with the `web` service's command line of docker-compose.yml (worker
  class, workers, threads, keep-alive, max-requests…), bound to 127.0.0.1 only, with DEBUG off and the
  production environment of the compose file (secure cookies, SSL redirect: each request carries the
  `X-Forwarded-Proto: https` the TLS proxy adds, so CSRF, HSTS and CSP behave as in production);
- logs every virtual user in through the login form (one session each: the password hash is paid here, before
  the measured window), account managers (four in five users) and the service desk;
- loops each user over the mix for `--duration` seconds, one keep-alive connection per user, no think time
  (closed loop: the next request leaves as soon as the answer arrives), or with `--think SECONDS` paced: after
  each answer the user waits a random 0.5×–1.5× of that, as staff read a page before clicking:
  account manager: client list, client detail, search (name, pinyin, phone, ID last four in turn), API list;
  service desk: screen-pop (API) twice, search, client detail (masked);
- prints requests/s, p50/p95/p99 per endpoint and overall, errors, and where the two cores' time went
  (load generator, gunicorn, everything else: PostgreSQL, other work on the machine).

The load generator runs on the same two cores as the server: its CPU share is printed, and the server's
throughput would be higher with the generator elsewhere. Bounded: at most 200 users and 600 seconds;
the target is always this machine's loopback.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")
os.environ.setdefault("DEBUG", "1")  # this process only reads the book; the server runs with DEBUG off

MAX_USERS, MAX_SECONDS = 200, 600
SEARCHES = ("name", "pinyin", "phone", "id_tail")


# ---------------------------------------------------------------- the server, as docker-compose runs it

def compose_web():
    """(gunicorn argv, environment) of docker-compose.yml's `web` service: its command after `&&` and the
    x-app environment with each `${VAR:-default}` taken at its default."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["command"]
    gunicorn = command.split("&&")[-1].strip().rstrip('"')
    argv = shlex.split(gunicorn)
    environment = {}
    for key, value in compose["x-app"]["environment"].items():
        value = str(value)
        match = re.fullmatch(r"\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}", value)
        if match:
            value = match.group(2)
        if value is not None:
            environment[key] = value
    return argv, environment


def server_command(port: int, access_log: str, overrides: dict) -> tuple[list, dict]:
    argv, compose_env = compose_web()
    for option, value in overrides.items():  # --worker-class, --workers, --threads given on this command line
        if value is not None:
            if option in argv:
                argv[argv.index(option) + 1] = str(value)
            else:
                argv += [option, str(value)]
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("--bind", "--access-logfile"):
            skip = True
            out += [arg, f"127.0.0.1:{port}" if arg == "--bind" else access_log]
            continue
        out.append(sys.executable if i == 0 and arg == "gunicorn" else arg)
    if out[0] == sys.executable:
        out[1:1] = ["-m", "gunicorn"]
    env = dict(os.environ)
    env.pop("DEBUG", None)
    for key, value in compose_env.items():
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "ALLOWED_HOSTS",
                       "CSRF_TRUSTED_ORIGINS"}:
            env[key] = value
    broker = os.environ.get("CELERY_BROKER_URL", "")
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        # The API throttle counts live in Redis, as in the compose file (another db number than the broker's).
        CACHE_URL=os.environ.get("CACHE_URL") or (broker.rsplit("/", 1)[0] + "/15" if broker else ""),
        LOG_LEVEL="WARNING",
    )
    return out, env


def collectstatic(env):
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)


def wait_until_up(port: int, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


# ---------------------------------------------------------------- CPU accounting (from /proc)

def _ticks(pid: int) -> int:
    """utime + stime of a process and of its children already waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11:15])


def server_ticks(master: int) -> int:
    """The gunicorn master and its live workers (recycled workers are counted in the master's children)."""
    total = _ticks(master)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                total += sum(int(f) for f in fields[11:13])
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# ---------------------------------------------------------------- a virtual user

class User:
    def __init__(self, port: int, username: str, password: str):
        self.port, self.username, self.password = port, username, password
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method, path, body=None, headers=None):
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection (or a recycled worker did): a browser
                # opens a new one and sends again; so does this user, once.
                self.conn.close()
                if attempt == 2 or method != "GET":
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()  # a timeout: the next request starts on a new connection
                raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def login(self):
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"username": self.username, "password": self.password,
                                       "csrfmiddlewaretoken": token})
        origin = f"https://127.0.0.1:{self.port}"
        status, _ = self.request("POST", "/login/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + "/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login of {self.username} failed ({status})")


def mix(role: str, book: dict, n: int):
    """The i-th request of a user's loop: (endpoint name, path)."""
    clients = book["clients"]
    c = clients[n % len(clients)]
    search = SEARCHES[(n // 4) % len(SEARCHES)]
    term = {"name": c["name"][:2], "pinyin": c["pinyin"][:4], "phone": c["phone"][-8:] if role == "manager"
            else c["phone"], "id_tail": c["id_last4"]}[search]
    search_path = "/clients/?" + urllib.parse.urlencode({"q": term})
    if role == "manager":
        steps = [("client list", "/clients/"), ("client detail", f"/clients/{c['id']}/"),
                 (f"search ({search})", search_path), ("API client list", "/api/clients/")]
    else:
        other = clients[(n * 7 + 3) % len(clients)]
        steps = [("screen-pop (API)", "/api/lookup/phone/?" + urllib.parse.urlencode({"number": c["phone"]})),
                 ("screen-pop (API)", "/api/lookup/phone/?" + urllib.parse.urlencode({"number": other["phone"]})),
                 (f"search ({search})", search_path), ("client detail", f"/clients/{c['id']}/")]
    return steps[n % 4]


def books(users: int) -> list[tuple[str, str, dict]]:
    """(username, role, the clients it works with) for each virtual user: four in five are account managers
    (each their own book, spread over every manager), one in five the service desk (every client)."""
    import django

    django.setup()
    from clients.models import Client
    from futures_crm.roles import Role

    managers = list(Client.objects.filter(account_manager__staff_profile__role=Role.ACCOUNT_MANAGER,
                                          account_manager__is_active=True)
                    .values_list("account_manager__username", flat=True).distinct().order_by(
                        "account_manager__username"))
    desk = list(Client._meta.get_field("account_manager").related_model.objects.filter(
        staff_profile__role=Role.SERVICE_AGENT, is_active=True).values_list("username", flat=True))
    fields = ("id", "name", "name_pinyin", "phone", "id_last4")

    def sample(qs):
        return [dict(zip(("id", "name", "pinyin", "phone", "id_last4"), row, strict=True))
                for row in qs.exclude(phone="").values_list(*fields)[:200]]

    everyone = sample(Client.objects.order_by("?"))
    out = []
    for i in range(users):
        if i % 5 == 4 and desk:
            out.append((desk[i % len(desk)], "desk", {"clients": everyone}))
        else:
            username = managers[i % len(managers)]
            out.append((username, "manager",
                        {"clients": sample(Client.objects.filter(account_manager__username=username))}))
    return out


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1)]


def run(args):
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.duration <= MAX_SECONDS:
        raise SystemExit(f"--users 1..{MAX_USERS}, --duration 1..{MAX_SECONDS}")
    if not 0 <= args.think <= 60:
        raise SystemExit("--think 0..60 seconds")
    plan = books(args.users)
    from clients.demo import DEMO_PASSWORD

    log_dir = Path(tempfile.mkdtemp(prefix="crm-load-"))
    argv, env = server_command(args.port, str(log_dir / "access.log"), {
        "--worker-class": args.worker_class, "--workers": args.workers, "--threads": args.threads})
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = str(args.conn_max_age)
    print("server:", " ".join(argv[1:]), f"CONN_MAX_AGE={env.get('CONN_MAX_AGE', 0)}", flush=True)
    collectstatic(env)
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=open(log_dir / "gunicorn.out", "w"),  # noqa: SIM115
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(args.port, server)
        started = time.perf_counter()
        users = [User(args.port, username, DEMO_PASSWORD) for username, _role, _book in plan]
        gate, failed = threading.Semaphore(4), []

        def login(user):
            with gate:
                try:
                    user.login()
                except (OSError, http.client.HTTPException, SystemExit, AttributeError) as exc:
                    failed.append(f"{user.username}: {exc!r}")

        threads = [threading.Thread(target=login, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failed:
            raise SystemExit("logins failed: " + "; ".join(failed))
        print(f"{len(users)} users logged in in {time.perf_counter() - started:.1f} s", flush=True)
        return measure(args, server.pid, users, plan)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def measure(args, master, users, plan):
    samples: dict[str, list] = defaultdict(list)
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.warmup + args.duration
    measure_from = time.perf_counter() + args.warmup

    def loop(index):
        user, (_username, role, book) = users[index], plan[index]
        n = index  # users start at different points of their loop
        while (now := time.perf_counter()) < stop_at:
            name, path = mix(role, book, n)
            n += 1
            try:
                status, _body = user.request("GET", path)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            took = (time.perf_counter() - now) * 1000
            if now >= measure_from:
                with lock:
                    samples[name].append(took)
                    if not ok:
                        errors[name] = errors.get(name, 0) + 1
            if args.think:  # the user reads the page before the next click: 0.5× to 1.5× of --think
                time.sleep(min(args.think * random.uniform(0.5, 1.5), max(stop_at - time.perf_counter(), 0)))

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    time.sleep(args.warmup)
    load_before = os.getloadavg()
    busy0, total0 = machine_ticks()
    own0, server0 = sum(os.times()[:2]), server_ticks(master)
    window0 = time.perf_counter()
    for t in threads:
        t.join()
    window = time.perf_counter() - window0
    busy1, total1 = machine_ticks()
    own1, server1 = sum(os.times()[:2]), server_ticks(master)
    hz = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count()
    capacity = window * cores  # core-seconds available in the window

    every = sorted(v for values in samples.values() for v in values)
    print(f"\n{len(users)} users, {args.duration} s measured after {args.warmup} s warm-up, "
          f"{cores} cores, load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end\n")
    print("| endpoint | requests | errors | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|")
    for name in sorted(samples):
        values = sorted(samples[name])
        print(f"| {name} | {len(values)} | {errors.get(name, 0)} | {percentile(values, 50):.0f} | "
              f"{percentile(values, 95):.0f} | {percentile(values, 99):.0f} |")
    print(f"| **all** | {len(every)} | {sum(errors.values())} | {percentile(every, 50):.0f} | "
          f"{percentile(every, 95):.0f} | {percentile(every, 99):.0f} |")
    own, server = own1 - own0, (server1 - server0) / hz
    busy = (busy1 - busy0) / hz * (capacity / ((total1 - total0) / hz) if total1 > total0 else 1)
    print(f"\nthroughput: {len(every) / window:.1f} requests/s, {sum(errors.values())} errors; "
          f"gunicorn CPU {server / max(len(every), 1) * 1000:.1f} ms per request, "
          f"load generator {own / max(len(every), 1) * 1000:.1f} ms per request")
    print(f"CPU of the two cores ({capacity:.0f} core-s): load generator {own / capacity:.0%}, "
          f"gunicorn {server / capacity:.0%}, everything else (PostgreSQL, Redis, other work) "
          f"{max(busy - own - server, 0) / capacity:.0%}, idle {max(capacity - busy, 0) / capacity:.0%}")
    if args.think:
        print(f"paced: each user waited 0.5–1.5 × {args.think:g} s after each response (mean think time "
              f"{args.think:g} s)")
    else:
        print(f"closed loop, no think time: by Little's law each request takes users ÷ throughput = "
              f"{len(users)} ÷ {len(every) / window:.1f} ≈ {len(users) / max(len(every) / window, 1e-9) * 1000:.0f} ms "
              f"on average; a p95 under 500 ms with {len(users)} users needs more than "
              f"{len(users) / 0.5:.0f} requests/s")
    return 1 if sum(errors.values()) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before measuring")
    parser.add_argument("--think", type=float, default=0.0,
                        help="paced mode: each user waits a random 0.5×–1.5× of this many seconds after each "
                             "response (staff read a page before clicking); 0 (default): closed loop, no wait")
    parser.add_argument("--port", type=int, default=18716)
    parser.add_argument("--worker-class", help="instead of docker-compose.yml's (sync, gthread)")
    parser.add_argument("--workers", type=int, help="instead of docker-compose.yml's")
    parser.add_argument("--threads", type=int, help="instead of docker-compose.yml's")
    parser.add_argument("--conn-max-age", type=int, help="instead of docker-compose.yml's CONN_MAX_AGE")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
