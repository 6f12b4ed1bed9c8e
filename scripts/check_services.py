"""Say in one clear line when PostgreSQL or Redis is not reachable, before the suite starts."""

import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def main(database_url: str, broker_url: str) -> int:
    problems = []
    if not reachable(database_url, 5432):
        problems.append(f"PostgreSQL is not reachable at {database_url} (set DATABASE_URL)")
    if not reachable(broker_url, 6379):
        problems.append(f"Redis is not reachable at {broker_url} (set CELERY_BROKER_URL)")
    for problem in problems:
        print(f"make test: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
