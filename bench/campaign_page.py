"""The campaign page: its SQL queries as it grows, and its latency under load.

    createdb -h 127.0.0.1 -U postgres civic_bench_page
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic_bench_page
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/campaign_page.py [--pledges 10000] [--connections 50]

1. Queries: the page is requested in-process (Django's test client) for a
   small campaign (3 pledges, 2 tiers, 1 update) and a large one (10,000
   pledges by 7,000 distinct backers, 8 tiers, 12 updates); both counts are
   printed and must be equal.
2. Load: gunicorn (gthread workers, DEBUG off) serves the large campaign's page;
   wrk (Debian's package, `make bench-deps`) keeps ``--connections`` open for
   ``--seconds`` and reports requests/s and the p50/p95/p99 latency (a Lua
   ``done`` hook prints the percentiles wrk measured).

The data are written straight to the tables (bulk inserts) because only the
page's reads are measured here; pledges are "committed" (cards saved), which
is what a live all-or-nothing campaign holds.
"""

import argparse
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from campaigns.models import Campaign, CampaignUpdate, Pledge  # noqa: E402
from participation.models import (  # noqa: E402
    Community,
    Process,
    ProcessResult,
    Project,
)
from rewards.models import RewardClaim, RewardTier  # noqa: E402

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP95 %d\\nP99 %d\\nREQS %d\\nERRS %d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _campaign(slug: str, *, pledges: int, backers: int, tiers: int, updates: int):
    existing = Campaign.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    community, _ = Community.objects.get_or_create(
        slug="bench-page", defaults={"name": "Bench", "kind": "prison"}
    )
    process = Process.objects.create(
        community=community,
        title=f"Process {slug}",
        slug=slug,
        budget_cents=100_000,
        phase="results",
    )
    project = Project.objects.create(
        process=process,
        code="B1",
        title="Benchmark project",
        description="x",
        cost_cents=50_000,
        feasibility="feasible",
    )
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["B1"],
        explanation={"rows": [{"code": "B1", "votes": 10, "position": 1}]},
        ballots_counted=10,
    )
    now = timezone.now()
    campaign = Campaign.objects.create(
        community=community,
        project=project,
        slug=slug,
        title=f"Campaign {slug}",
        story="A story. " * 80,
        goal_cents=5_000_000,
        starts_at=now - datetime.timedelta(days=1),
        deadline=now + datetime.timedelta(days=20),
        status=Campaign.Status.LIVE,
    )
    tier_rows = RewardTier.objects.bulk_create(
        RewardTier(
            campaign=campaign,
            title=f"Reward {i}",
            description="Made in the workshop.",
            min_pledge_cents=1_000 * (i + 1),
            quantity=None if i % 2 else 100_000,
            made_by="Falegnameria",
            position=i,
        )
        for i in range(tiers)
    )
    CampaignUpdate.objects.bulk_create(
        CampaignUpdate(campaign=campaign, title=f"Update {i}", body="News. " * 30)
        for i in range(updates)
    )
    users = User.objects.bulk_create(
        User(email=f"{slug}-{i}@bench.example.org", display_name=f"Backer {i}")
        for i in range(backers)
    )
    rows = Pledge.objects.bulk_create(
        Pledge(
            campaign=campaign,
            backer=users[i % backers],
            backer_email=users[i % backers].email,
            amount_cents=1_000 + (i % 50) * 100,
            status=Pledge.Status.COMMITTED,
            anonymous=i % 7 == 0,
        )
        for i in range(pledges)
    )
    RewardClaim.objects.bulk_create(
        RewardClaim(tier=tier_rows[i % tiers], pledge=pledge)
        for i, pledge in enumerate(rows)
        if i % 3 == 0
    )
    return campaign


def _queries(url: str, *, cold: bool) -> int:
    """Queries of one request; ``cold`` renders the body afresh (cache emptied)."""
    client = Client()
    client.get(url)  # warm-up
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(
    url_path: str, *, connections: int, seconds: int, workers: int, threads: int
) -> dict:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench-deps` (Debian's wrk package)")
    port = _free_port()
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}{url_path}"
        # Warm every worker: the first request of a worker loads the URL
        # configuration, the templates and the catalogues (about 3 s).
        subprocess.run(
            ["wrk", "-t2", f"-c{workers * 4}", "-d10s", url],
            check=True,
            capture_output=True,
        )
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(WRK_SCRIPT)
            script.flush()
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{connections}",
                    f"-d{seconds}s",
                    "--timeout",
                    "10s",
                    "-s",
                    script.name,
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    figures = dict(re.findall(r"^(P50|P95|P99|REQS|ERRS) (\d+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {
        "rps": rps,
        "p50_ms": int(figures["P50"]) / 1000,
        "p95_ms": int(figures["P95"]) / 1000,
        "p99_ms": int(figures["P99"]) / 1000,
        "requests": int(figures["REQS"]),
        "errors": int(figures["ERRS"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run it on PostgreSQL: set DATABASE_URL")
    small = _campaign("bench-small", pledges=3, backers=3, tiers=2, updates=1)
    large = _campaign(
        f"bench-large-{args.pledges}",
        pledges=args.pledges,
        backers=args.pledges * 7 // 10,
        tiers=8,
        updates=12,
    )
    small_q = _queries(small.get_absolute_url(), cold=True)
    large_q = _queries(large.get_absolute_url(), cold=True)
    warm_q = _queries(large.get_absolute_url(), cold=False)
    print(
        f"queries, body rendered afresh: small campaign {small_q}, large campaign "
        f"{large_q}; body from the cache: {warm_q}"
    )
    if small_q != large_q:
        sys.exit("the number of queries grows with the campaign")
    cold_times = []
    for _ in range(30):
        cache.clear()
        start = time.perf_counter()
        Client().get(large.get_absolute_url())
        cold_times.append((time.perf_counter() - start) * 1000)
    cold_times.sort()
    print(
        f"in-process, body rendered afresh: p50 {cold_times[15]:.1f} ms, "
        f"p95 {cold_times[28]:.1f} ms"
    )
    client = Client()
    client.get(large.get_absolute_url())
    times = []
    for _ in range(50):
        start = time.perf_counter()
        client.get(large.get_absolute_url())
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"in-process, body from the cache: p50 {times[25]:.1f} ms, "
        f"p95 {times[47]:.1f} ms"
    )
    if args.skip_load:
        return
    result = _load(
        large.get_absolute_url(),
        connections=args.connections,
        seconds=args.seconds,
        workers=args.workers,
        threads=args.threads,
    )
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, "
        f"wrk {args.connections} connections "
        f"{args.seconds} s: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"{result['requests']} requests, {result['errors']} errors"
    )


if __name__ == "__main__":
    main()
