#!/usr/bin/env bash
# CI step: a fresh clone's `make run` prints the demo logins and serves the login page on 127.0.0.1:8000.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill -- -"$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$src" "$work/crm"
cd "$work/crm"
set -m  # own process group, so the server and its autoreloader stop together
env -u DATABASE_URL -u CELERY_BROKER_URL -u DEBUG make run >"$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  if curl -fsS http://127.0.0.1:8000/login/ -o "$work/login.html" 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/run.log"; echo "make run exited before serving"; exit 1; fi
  sleep 1
done
grep -q 'name="username"' "$work/login.html" || { cat "$work/run.log"; echo "no login page on :8000"; exit 1; }
grep -q "Administrator" "$work/run.log" && grep -q "Account manager" "$work/run.log" \
  || { cat "$work/run.log"; echo "make run did not print the demo logins"; exit 1; }
grep -q "Demo settlement: accounts imported" "$work/run.log" \
  || { cat "$work/run.log"; echo "make run did not load the demo settlement history"; exit 1; }
echo "make run: fresh clone serves the login page on http://127.0.0.1:8000 and printed the demo logins"
