#!/usr/bin/env bash
# CI step: a fresh clone's `make run` starts the project's own PostgreSQL, builds the demo with its
# nightly results, prints the demo logins and serves the login page on 127.0.0.1:8000; the demo is
# alive on every module (scripts/smoke_demo_checks.py); stopping `make run` stops its PostgreSQL, and
# a second `make run` reuses the data. Prints both start-up times (docs/BENCHMARKS.md quotes them).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() { if [ -n "$pid" ]; then stop || true; fi; rm -rf "$work"; }
trap cleanup EXIT
git clone -q "$src" "$work/crm"
cd "$work/crm"
pgdata="$work/crm/var/pgdata"
set -m  # each `make run` in its own process group, so the server and its autoreloader stop together

# No `grep -q`: it stops reading early, and under pipefail the SIGPIPE upstream would fail the check.
postgres_here() { ps -ww -eo args | grep -v grep | grep "bin/postgres -D $pgdata" >/dev/null; }

start() {  # start `make run` into $1, wait for the login page; sets pid and elapsed (seconds)
  local log=$1 t0=$SECONDS
  env -u DATABASE_URL -u CELERY_BROKER_URL -u DEBUG make run >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if curl -fsS http://127.0.0.1:8000/login/ -o "$work/login.html" 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "make run exited before serving"; exit 1; fi
    sleep 1
  done
  grep -q 'name="username"' "$work/login.html" || { cat "$log"; echo "no login page on :8000"; exit 1; }
  elapsed=$((SECONDS - t0))
}

stop() {  # Ctrl-C, as a developer stops it; the embedded PostgreSQL must stop with it
  kill -INT -- -"$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || postgres_here || break; sleep 1; done
  pid=""
  if postgres_here; then echo "make run stopped but its PostgreSQL still runs"; exit 1; fi
}

log="$work/run.log"
start "$log"
first=$elapsed
grep -q "Embedded PostgreSQL 18" "$log" && grep -q "data in $pgdata" "$log" && postgres_here \
  || { cat "$log"; echo "make run did not start the project's own PostgreSQL under var/pgdata"; exit 1; }
grep -q "Administrator" "$log" && grep -q "Account manager" "$log" \
  || { cat "$log"; echo "make run did not print the demo logins"; exit 1; }
grep -q "Demo settlement: accounts imported" "$log" \
  || { cat "$log"; echo "make run did not load the demo settlement history"; exit 1; }
password=$(sed -n 's/.*password for every demo user: \([^)]*\)).*/\1/p' "$log")
.venv/bin/python scripts/smoke_demo_checks.py http://127.0.0.1:8000 admin "$password" \
  || { tail -50 "$log"; echo "the demo is not alive on every module"; exit 1; }
stop

start "$work/restart.log"
second=$elapsed
grep -q "nothing loaded" "$work/restart.log" || { cat "$work/restart.log"; echo "the restart did not reuse the data"; exit 1; }
stop
echo "make run: fresh clone to the login page in ${first} s (venv, embedded PostgreSQL, demo and its nights);" \
     "restart in ${second} s; the demo is alive on every module; PostgreSQL stops with make run"
