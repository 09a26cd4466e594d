"""Server-side time and query count of the public pages, on the demo data.

    .venv/bin/python bench/pages.py [--requests 200]

Uses Django's test client in-process (no network, no gunicorn): it measures
what the view, the ORM and the templates cost. Run against whatever database
DATABASE_URL names (SQLite under var/ by default); `make demo` first.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402

PAGES = [
    ("home", "/", None),
    ("prison community", "/communities/idee-in-fuga/", None),
    ("consortium community", "/communities/la-sostenibilita-che-include/", None),
    (
        "facilitator roster (42 rows)",
        "/communities/idee-in-fuga/roster/",
        "facilitatrice@idee-in-fuga.example.org",
    ),
]


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(f"database: {connection.vendor}; {args.requests} requests per page")
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, url, login in PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        if login:
            client.force_login(User.objects.get(email=login))
        assert client.get(url).status_code == 200, url
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(url)
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{name:<30} {statistics.median(timings):>8.2f} {p95:>8.2f} "
            f"{counter.count:>8}"
        )


if __name__ == "__main__":
    main()
