"""CI step after `make run` (scripts/smoke_make_run.sh): the demo is alive on every module.

Logs in as the demo administrator, reads the segments dashboard (it must show the demo's nightly
results) and every module's API list (each must be non-empty). Standard library only.
Usage: smoke_demo_checks.py BASE_URL USERNAME PASSWORD
"""

import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request

# Each module's list endpoints that the demo must fill (clients, segmentation, referrals, service).
API_LISTS = [
    "clients", "branches", "staff", "imports", "alerts",
    "segmentation/runs",
    "intermediaries", "intermediary-links", "rebate-statements", "referrals", "club-members",
    "manager-assignments",
    "tasks", "tickets", "prospects", "activities", "surveys", "communications",
]


def main(base: str, username: str, password: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path: str) -> str:
        with opener.open(base + path, timeout=60) as response:  # noqa: S310 - our own local server
            return response.read().decode()

    login = get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(  # noqa: S310 - our own local server
        base + "/login/", data=form.encode(), headers={"Referer": base + "/login/"})
    with opener.open(request, timeout=60) as response:  # noqa: S310
        if "/login/" in response.geturl():
            print(f"smoke: could not log in as {username}")
            return 1

    failures = []
    dashboard = get("/segments/")
    if "No nightly results yet." in dashboard or 'id="segment-counts"' not in dashboard:
        failures.append("the segments dashboard shows no nightly results")
    if 'id="concentration-curve"' not in dashboard:
        failures.append("the segments dashboard has no value concentration curve")
    counts = {}
    for name in API_LISTS:
        body = json.loads(get(f"/api/{name}/"))
        count = body.get("count", len(body.get("results", []))) if isinstance(body, dict) else len(body)
        counts[name] = count
        if not count:
            failures.append(f"/api/{name}/ is empty")
    print("smoke: API list counts " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    for failure in failures:
        print(f"smoke: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
