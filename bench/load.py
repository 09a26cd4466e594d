"""Load: gunicorn on PostgreSQL, the four busiest paths, driven by wrk.

    make bench-deps                      # Debian's wrk, once
    .venv/bin/python bench/load.py       # set-up (once), 3 runs of each, a table
    .venv/bin/python bench/load.py --profile   # in-process: queries, CPU ms

One command. It uses its own database (``civic_bench_load`` on the local
PostgreSQL, created and migrated if missing; ``--database-url`` for another),
seeds it once (``seed_demo``, then the bulk data of ``bench/campaign_page.py``
and this script's own) and measures, with gunicorn serving and wrk driving:

campaign
    GET of the campaign page of a live campaign with 10,000 pledges by 7,000
    backers, 8 tiers and 12 updates (``campaign_page._campaign``),
    anonymous, ``--page-connections`` connections.
campaign-members
    the same page, GET by ``--members`` logged-in members in turn (fresh
    sessions for each run, as ``pledge`` below), as many wrk threads as
    connections; each answer is checked to hold the name of the member who
    asked (``bench/wrk/members.lua``). With ``--front`` they share nginx's
    kept copy, their own menu filled in (``deploy/nginx/civic-shared.conf``):
    here each member's first view, whose menu Django renders, falls in the
    run's first seconds; without ``--front``, Django renders every page.
campaign-members-kept
    the same, the members having seen the page for 10 s (unmeasured) just
    before: their menus are kept (``FRONT_FRAGMENT_SECONDS``, 30 s).
campaign-pledging
    GET of the page of the campaign that the ``pledge`` runs pledge to, while
    a pledge run goes on (every pledge changes the page: its cached body is
    rendered again); the pledges' own figures are the next row.
results-*
    GET of a results page, anonymous: the demo's prison process
    (``results-demo``); a process with ``--ballots`` online ballots over 24
    projects, its result counted by ``results_compute`` (``results-ballots``);
    the process of the 10,000-pledge campaign, whose "supporters with money"
    ranking counts its 7,000 distinct backers (``results-backers``).
pledge
    POST of the pledge form (no reward, 10 to 59 EUR) on another live
    all-or-nothing campaign with 10,000 pledges, each request by a distinct
    logged-in backer. Success is the redirect to the card page.
pay
    GET of that card page, once for each pledge the ``pledge`` runs made (more
    are made first, unmeasured, if too few are left), by its backer: the
    campaign is all-or-nothing, as the demo's, so this is where the Stripe
    emulator is called (a customer and a SetupIntent). Together,
    ``pledge`` + ``pay`` are what one pledge costs before the card form.
vote
    POST of an approval ballot (1 to 3 of 12 projects) in a process in its
    vote phase, each request by a distinct member who has not voted.

Users, their sessions (``SessionStore``'s encoding, rows written in bulk) and
CSRF tokens are made in the database before each POST run, a fresh set per
run; ``bench/wrk/sequence.lua`` sends each line once (as many wrk threads as
connections, so each answer is known to belong to its line). After each POST
run the script counts in the database that exactly the successful answers
wrote rows: one pledge (one SetupIntent, one ballot) per success, none for a
refused or failed request, none twice; a request still in flight when wrk
stopped is listed apart.

gunicorn runs ``config.wsgi`` with ``deploy/gunicorn.conf.py`` if that file
exists, else ``--workers/--threads`` gthread workers; DEBUG off,
``RATE_LIMIT_ENABLED=false`` (every request comes from 127.0.0.1: per-IP
limits would answer 429; the table shows 429s if any), the page cache in Redis
(``--redis-url``, as in production with several web processes), the indexed
Stripe emulator on port 8431 (``bench/localstripe_indexed.py``). With
``--front`` every request goes through nginx with the deployment's proxy and
page-cache directives (``bin/nginx_front.py``): anonymous GETs of public
pages come from its cache, POSTs and logged-in pages pass through. Each
measurement is run ``--runs`` times; the table gives the median of each
figure, the range of requests/s, the 1-minute load average before the runs
and how busy the machine's CPUs were during them.
"""

import argparse
import contextlib
import datetime
import functools
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
WRK_DIR = ROOT / "wrk"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/civic_bench_load"
STRIPE_PORT = 8431
GUNICORN_LOG = Path(tempfile.gettempdir()) / "bench-load-gunicorn.log"
MEASURES = (
    "campaign",
    "campaign-members",
    "campaign-members-kept",
    "campaign-pledging",
    "results-demo",
    "results-ballots",
    "results-backers",
    "pledge",
    "pay",
    "vote",
)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--page-connections", type=int, default=50)
    parser.add_argument("--post-connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--ballots", type=int, default=5_000)
    parser.add_argument(
        "--members",
        type=int,
        default=500,
        help="distinct logged-in members of each campaign-members run",
    )
    parser.add_argument(
        "--users-per-run",
        type=int,
        default=5_000,
        help="distinct users made for each POST run (more than it can send)",
    )
    parser.add_argument(
        "--only",
        default=",".join(MEASURES),
        help="comma-separated: " + ", ".join(MEASURES),
    )
    parser.add_argument(
        "--no-conf",
        action="store_true",
        help="ignore deploy/gunicorn.conf.py: --workers gthread workers x --threads",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="in-process instead (Django's test client, no gunicorn): queries, "
        "wall and CPU ms per request of each path",
    )
    parser.add_argument(
        "--front",
        action="store_true",
        help="every request through nginx with the deployment's page cache "
        "(bin/nginx_front.py) in front of gunicorn",
    )
    parser.add_argument("--setup-only", action="store_true")
    return parser.parse_args()


ARGS = _args()
os.environ["DATABASE_URL"] = ARGS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "0"
os.environ["RATE_LIMIT_ENABLED"] = "false"  # see the docstring
os.environ.pop("CELERY_BROKER_URL", None)  # the seed runs its tasks inline


def _database_create(url: str) -> None:
    """Create the database of ``url`` if the server does not have it."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


_database_create(ARGS.database_url)

import campaign_page  # noqa: E402  (sets Django up)
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import User  # noqa: E402
from bin.nginx_front import nginx_front  # noqa: E402
from campaigns.models import Pledge  # noqa: E402
from demo.processes import PRISON_PROCESS  # noqa: E402
from demo.seed import CONSORTIUM_SLUG, PRISON_SLUG  # noqa: E402
from participation.models import (  # noqa: E402
    Ballot,
    BallotItem,
    Community,
    Membership,
    Process,
    Project,
    Role,
)
from participation.services.results import results_compute  # noqa: E402

# --- data ----------------------------------------------------------------------

LOAD_COMMUNITY = "bench-load"
PAGE_CAMPAIGN = "bench-large-10000"  # the same as bench/campaign_page.py's
PLEDGE_CAMPAIGN = "bench-pledge-10000"
BALLOTS_PROCESS = "bench-ballots"
VOTE_PROCESS = "bench-vote"


def _load_community() -> Community:
    community, _ = Community.objects.get_or_create(
        slug=LOAD_COMMUNITY, defaults={"name": "Bench load", "kind": "prison"}
    )
    return community


def _ballots_process(ballots: int) -> Process:
    """A closed process with ``ballots`` online ballots (1-3 of 24 projects each,
    drawn by popularity), counted by the real ``results_compute``."""
    community = _load_community()
    process = community.processes.filter(slug=BALLOTS_PROCESS).first()
    if process is not None:
        return process
    rng = random.Random(1)
    process = Process.objects.create(
        community=community,
        title="Bilancio con molte schede",
        slug=BALLOTS_PROCESS,
        budget_cents=1_000_000,
        phase="vote",
    )
    projects = Project.objects.bulk_create(
        Project(
            process=process,
            code=f"Q{i:02d}",
            title=f"Progetto {i}",
            description="Una proposta.",
            cost_cents=rng.randrange(20_000, 150_000, 100),
            feasibility="feasible",
        )
        for i in range(1, 25)
    )
    popularity = [rng.lognormvariate(0, 0.8) for _ in projects]
    users = User.objects.bulk_create(
        User(email=f"bench-ballot-{i}@bench.example.org", password="!")
        for i in range(ballots)
    )
    rows = Ballot.objects.bulk_create(
        Ballot(process=process, user=user, channel=Ballot.Channel.ONLINE)
        for user in users
    )
    items = []
    for ballot in rows:
        chosen = set()
        for _ in range(rng.randint(1, 3)):
            chosen.add(rng.choices(projects, weights=popularity)[0].pk)
        items.extend(BallotItem(ballot=ballot, project_id=pk) for pk in chosen)
    BallotItem.objects.bulk_create(items)
    results_compute(process=process)
    process.phase = "results"
    process.save(update_fields=["phase"])
    return process


def _vote_process() -> Process:
    community = _load_community()
    process = community.processes.filter(slug=VOTE_PROCESS).first()
    if process is not None:
        return process
    process = Process.objects.create(
        community=community,
        title="Bilancio in votazione",
        slug=VOTE_PROCESS,
        budget_cents=1_000_000,
        phase="vote",
        approval_min=1,
        approval_max=3,
    )
    Project.objects.bulk_create(
        Project(
            process=process,
            code=f"V{i:02d}",
            title=f"Progetto {i}",
            description="Una proposta.",
            cost_cents=100_000 + i * 10_000,
            feasibility="feasible",
        )
        for i in range(1, 13)
    )
    return process


def setup_data() -> dict:
    call_command("migrate", interactive=False, verbosity=0)
    demo_done = (
        Process.objects.filter(
            community__slug=PRISON_SLUG, slug=PRISON_PROCESS
        ).exists()
        and Process.objects.filter(community__slug=CONSORTIUM_SLUG).exists()
    )
    if not demo_done:
        print("seeding the demo (seed_demo, about a minute)")
        call_command("seed_demo", verbosity=0)
    big = {"pledges": 10_000, "backers": 7_000, "tiers": 8, "updates": 12}
    page = campaign_page._campaign(PAGE_CAMPAIGN, **big)
    result = page.project.process.result
    if "stage" not in result.explanation["rows"][0]:
        # campaign_page writes a bare result; the results page needs a counted one.
        results_compute(process=page.project.process)
    target = campaign_page._campaign(PLEDGE_CAMPAIGN, **big)
    analyze()
    return {
        "page": page,
        "target": target,
        "ballots": _ballots_process(ARGS.ballots),
        "vote": _vote_process(),
        "demo": Process.objects.select_related("community").get(
            community__slug=PRISON_SLUG, slug=PRISON_PROCESS
        ),
    }


def analyze() -> None:
    """Fresh planner statistics, as autovacuum keeps them in production (this
    machine's server runs with autovacuum off: after the bulk inserts the
    planner would think the tables tiny and pick plans that scan every pledge
    for the ten most recent)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _results_url(process: Process) -> str:
    return f"/communities/{process.community.slug}/p/{process.slug}/results/"


def users_logged_in(prefix: str, count: int, *, community=None) -> list[dict]:
    """``count`` new users, each with a session in the database (as a login
    leaves it) and a CSRF cookie with its form token; members of
    ``community`` (participants) if given."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}-{i}@bench.example.org", display_name=f"Bench {i}")
        for i in range(count)
    )
    # A real password hash would cost ~0.3 s each to make; the session's
    # hash only needs the field to be what the login saw.
    if community is not None:
        Membership.objects.bulk_create(
            Membership(user=user, community=community, role=Role.PARTICIPANT)
            for user in users
        )
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    model = store_class.get_model_class()
    expiry = timezone.now() + datetime.timedelta(days=1)
    factory = RequestFactory()
    rows, people = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            model(
                session_key=key,
                session_data=store_class().encode(data),
                expire_date=expiry,
            )
        )
        request = factory.get("/")
        token = get_token(request)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={key}; "
            f"{settings.CSRF_COOKIE_NAME}={request.META['CSRF_COOKIE']}"
        )
        people.append({"user": user, "cookie": cookie, "token": token})
    model.objects.bulk_create(rows, batch_size=1000)
    return people


# --- processes: gunicorn, the emulator, wrk --------------------------------------


def _wait_port(port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        time.sleep(0.2)
    sys.exit(f"{what} did not open port {port}")


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def servers():
    """The Stripe emulator and gunicorn; yields (base URL, gunicorn's settings)."""
    stripe = subprocess.Popen(
        [
            str(ROOT.parent / ".venv-stripe/bin/python"),
            str(ROOT / "localstripe_indexed.py"),
            "--port",
            str(STRIPE_PORT),
        ],
        cwd=ROOT.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = None
    try:
        _wait_port(STRIPE_PORT, "the Stripe emulator")
        port = campaign_page._free_port()
        env = {
            **os.environ,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "RATE_LIMIT_ENABLED": "false",
            "REDIS_URL": ARGS.redis_url,
            "STRIPE_API_BASE": f"http://127.0.0.1:{STRIPE_PORT}",
        }
        conf = ROOT.parent / "deploy/gunicorn.conf.py"
        command = [str(ROOT.parent / ".venv/bin/gunicorn"), "config.wsgi"]
        if conf.exists() and not ARGS.no_conf:
            command += ["-c", str(conf)]
            workers = (
                f"-c {conf.relative_to(ROOT.parent)} (WEB_CONCURRENCY="
                f"{os.environ.get('WEB_CONCURRENCY', 'CPU count')})"
            )
        else:
            command += [
                "--workers",
                str(ARGS.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(ARGS.threads),
            ]
            workers = f"{ARGS.workers} gthread workers x {ARGS.threads} threads"
        command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        # Access log (the conf's JSON lines on stdout) is written, then dropped.
        server = subprocess.Popen(
            command,
            cwd=ROOT.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(GUNICORN_LOG, "w"),  # noqa: SIM115 - closed with the process
            start_new_session=True,
        )
        _wait_port(port, "gunicorn")
        if not ARGS.front:
            yield f"http://127.0.0.1:{port}", workers
            return
        with (
            tempfile.TemporaryDirectory() as folder,
            nginx_front(
                f"127.0.0.1:{port}", campaign_page._free_port(), Path(folder)
            ) as front,
        ):
            ttl = settings.FRONT_CACHE_SECONDS
            yield front, f"{workers}, behind nginx (FRONT_CACHE_SECONDS={ttl})"
    finally:
        if server is not None:
            _stop(server)
        _stop(stripe)


def _cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def _loadavg() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def wrk(
    url: str, *, connections: int, threads: int, script: str, env=None, seconds=None
) -> dict:
    """One wrk run; returns its figures (latencies in ms) and statuses."""
    load = _loadavg()
    busy0, total0 = _cpu_ticks()
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds or ARGS.seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(WRK_DIR / script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    ).stdout
    busy1, total1 = _cpu_ticks()
    figures = dict(re.findall(r"^([A-Z_0-9]+) (\d+)$", out, re.M))
    counted = {
        k.lower(): int(v)
        for k, v in figures.items()
        if k in ("OWN", "OTHER") or k.startswith("CACHE_")
    }
    statuses = {
        int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)
    }
    errors = {
        kind: int(figures[f"ERR_{kind.upper()}"])
        for kind in ("connect", "read", "write", "timeout")
        if int(figures[f"ERR_{kind.upper()}"])
    }
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": int(figures["P50"]) / 1000,
        "p95": int(figures["P95"]) / 1000,
        "p99": int(figures["P99"]) / 1000,
        "requests": int(figures["REQS"]),
        "statuses": statuses,
        "errors": errors,
        "load": load,
        "busy": 100 * (busy1 - busy0) / max(total1 - total0, 1),
        **counted,
    }


def wrk_sequence(
    url: str, lines: list[str], *, seconds=None
) -> tuple[dict, dict[int, tuple]]:
    """wrk over ``lines`` (each sent at most once); also returns each line's
    outcome: (status, Location) or ("lost",) / ("inflight",)."""
    connections = ARGS.post_connections
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        data, result = Path(scratch, "data.tsv"), Path(scratch, "result.txt")
        data.write_text("".join(line + "\n" for line in lines))
        figures = wrk(
            url,
            connections=connections,
            threads=connections,
            script="sequence.lua",
            seconds=seconds,
            env={
                "WRK_DATA": str(data),
                "WRK_RESULT": str(result),
                "WRK_THREADS": str(connections),
            },
        )
        # A request in flight when wrk stopped may still be running: let it end.
        time.sleep(3)
        outcomes = {}
        for row in result.read_text().split("\n"):
            if not row:
                continue
            index, *rest = row.split(" ")
            if index == "-1":
                figures["extra"] = figures.get("extra", 0) + 1
                continue
            outcomes[int(index)] = (
                (int(rest[0]), rest[1]) if rest[0].isdigit() else (rest[0],)
            )
    figures["exhausted"] = len(outcomes) >= len(lines)
    return figures, outcomes


# --- the measurements ------------------------------------------------------------


def _line(method: str, path: str, person: dict, body: dict | None = None) -> str:
    form = urlencode(
        {"csrfmiddlewaretoken": person["token"], **(body or {})}, doseq=True
    )
    return "\t".join([method, path, person["cookie"], form if body is not None else ""])


def _check(
    figures: dict, outcomes: dict, success: int, written: dict[int, int]
) -> None:
    """``written``: rows per line index found in the database. Every success
    wrote exactly one row, every other answer none; in-flight or lost
    requests may have written one (counted apart)."""
    ok = {i for i, o in outcomes.items() if o[0] == success}
    unsure = {i for i, o in outcomes.items() if o[0] in ("lost", "inflight")}
    refused = set(outcomes) - ok - unsure
    problems = []
    if any(written.get(i, 0) != 1 for i in ok):
        problems.append("a success without exactly one row")
    if any(written.get(i, 0) for i in refused):
        problems.append("a refused request wrote a row")
    if any(n > 1 for n in written.values()):
        problems.append("a request wrote two rows")
    if set(written) - set(outcomes):
        problems.append("rows for requests never answered")
    figures["check"] = {
        "successes": len(ok),
        "rows": sum(written.values()),
        "unanswered_rows": sum(written.get(i, 0) for i in unsure),
        "problems": problems,
    }


class Bench:
    def __init__(self, base: str, data: dict):
        self.base = base
        self.data = data
        self.run = 0
        # Pledges made by the pledge runs whose card page nobody opened yet.
        self.unpaid: list[tuple[dict, int]] = []

    def page(self, path: str) -> dict:
        return wrk(
            self.base + path,
            connections=ARGS.page_connections,
            threads=2,
            script="page.lua",
        )

    def members_page(self, path: str, *, kept: bool = False) -> dict:
        """GET of ``path`` by ``--members`` members who just logged in, each
        answer checked to be the asker's (see ``campaign-members``). With
        ``kept``, the same members have seen the page for 10 s, unmeasured,
        just before (their menus are in nginx's cache)."""
        self.run += 1
        people = users_logged_in(
            f"bench-load-member-{os.getpid()}-{self.run}", ARGS.members
        )
        connections = ARGS.page_connections
        with tempfile.NamedTemporaryFile("w", suffix=".tsv") as data:
            data.writelines(f"{p['cookie']}\t{p['user']}\n" for p in people)
            data.flush()
            run = functools.partial(
                wrk,
                self.base + path,
                connections=connections,
                threads=connections,
                script="members.lua",
                env={"WRK_DATA": data.name, "WRK_THREADS": str(connections)},
            )
            if kept:
                # The first views' menus (Django renders each) take seconds
                # to drain on two cores under this load; then all are kept.
                run(seconds=10)
            figures = run()
        other = figures["other"]
        figures["check"] = {
            "problems": [f"{other:,} answers without the asker's name"]
            if other
            else [],
            "own": figures["own"],
            "cache": {
                k.removeprefix("cache_").upper(): v
                for k, v in figures.items()
                if k.startswith("cache_")
            },
        }
        return figures

    def warm(self, path: str) -> None:
        """A short unmeasured run: every worker loads its code, the cache fills."""
        subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{ARGS.workers * ARGS.threads * 2}",
                "-d4s",
                self.base + path,
            ],
            check=True,
            capture_output=True,
        )

    def pledge(
        self, count: int | None = None, *, seconds=None, page_meanwhile=None
    ) -> dict:
        """``page_meanwhile``: a path that wrk GETs, anonymously, during the
        pledges; its figures come back under ``"page"``."""
        self.run += 1
        target = self.data["target"]
        people = users_logged_in(
            f"bench-load-pledge-{os.getpid()}-{self.run}", count or ARGS.users_per_run
        )
        path = f"/campaigns/{target.slug}/pledge/"
        lines = [
            _line("POST", path, person, {"amount": str(10 + i % 50)})
            for i, person in enumerate(people)
        ]
        if page_meanwhile is None:
            figures, outcomes = wrk_sequence(self.base, lines, seconds=seconds)
        else:
            done = {}
            posting = threading.Thread(
                target=lambda: done.update(
                    result=wrk_sequence(self.base, lines, seconds=seconds)
                )
            )
            posting.start()
            page = self.page(page_meanwhile)
            posting.join()
            figures, outcomes = done["result"]
            figures["page"] = page
        by_user = {}
        for pk, backer in Pledge.objects.filter(
            campaign=target, backer__in=[p["user"] for p in people]
        ).values_list("pk", "backer_id"):
            by_user.setdefault(backer, []).append(pk)
        written = {
            i: len(by_user.get(person["user"].pk, []))
            for i, person in enumerate(people)
        }
        written = {i: n for i, n in written.items() if n}
        _check(figures, outcomes, 302, written)
        located = re.compile(r"/campaigns/pledges/(\d+)/pay/$")
        for i, outcome in outcomes.items():
            if outcome[0] == 302:
                match = located.search(outcome[1])
                if not match or [int(match.group(1))] != by_user.get(
                    people[i]["user"].pk
                ):
                    figures["check"]["problems"].append("a redirect to another pledge")
                    break
                self.unpaid.append((people[i], int(match.group(1))))
        return figures

    def pay(self, *, seconds=None, top_up=True) -> dict:
        """The card page of pledges the ``pledge`` runs made, each once (more
        pledges are made first, unmeasured, if too few are left)."""
        while top_up and len(self.unpaid) < ARGS.users_per_run // 2:
            self.pledge()
        pledges, self.unpaid = self.unpaid, []
        lines = [
            _line("GET", f"/campaigns/pledges/{pk}/pay/", person)
            for person, pk in pledges
        ]
        figures, outcomes = wrk_sequence(self.base, lines, seconds=seconds)
        saved = set(
            Pledge.objects.filter(
                pk__in=[pk for _, pk in pledges],
                payment__stripe_setup_intent_id__gt="",
            ).values_list("pk", flat=True)
        )
        written = {i: 1 for i, (_, pk) in enumerate(pledges) if pk in saved}
        _check(figures, outcomes, 200, written)
        # Lines wrk never sent go back for the next run.
        self.unpaid = [p for i, p in enumerate(pledges) if i not in outcomes]
        return figures

    def vote(self, count: int | None = None, *, seconds=None) -> dict:
        self.run += 1
        process = self.data["vote"]
        people = users_logged_in(
            f"bench-load-vote-{os.getpid()}-{self.run}",
            count or ARGS.users_per_run,
            community=process.community,
        )
        project_ids = list(process.projects.values_list("pk", flat=True))
        rng = random.Random(self.run)
        path = f"/communities/{process.community.slug}/p/{process.slug}/vote/"
        lines = []
        chosen = []
        for person in people:
            picks = sorted(rng.sample(project_ids, rng.randint(1, 3)))
            chosen.append(picks)
            body = {f"project_{pk}": "on" for pk in picks}
            lines.append(_line("POST", path, person, body))
        figures, outcomes = wrk_sequence(self.base, lines, seconds=seconds)
        index = {person["user"].pk: i for i, person in enumerate(people)}
        # One statement, one snapshot: ballots with their items.
        items: dict[int, dict[int, list[int]]] = {}
        for ballot, ballot_user, project in Ballot.objects.filter(
            process=process, user__in=[p["user"] for p in people]
        ).values_list("pk", "user_id", "items__project_id"):
            items.setdefault(ballot_user, {}).setdefault(ballot, []).append(project)
        written = {}
        for ballot_user, ballots in items.items():
            i = index[ballot_user]
            written[i] = len(ballots)
            found = sorted(p for projects in ballots.values() for p in projects)
            if found != chosen[i]:
                figures.setdefault("check_items", []).append((i, chosen[i], found))
        _check(figures, outcomes, 302, written)
        if figures.get("check_items"):
            figures["check"]["problems"].append(
                f"a ballot with other projects: {figures['check_items'][:3]}"
            )
        return figures


def profile(data: dict, repeat: int = 30) -> None:
    """Each path in-process: SQL queries of one request, and the median wall
    and CPU time (this process: Django, templates, psycopg; not PostgreSQL's)
    of ``repeat`` requests, each by a distinct user for the POSTs."""
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    stripe = subprocess.Popen(
        [
            str(ROOT.parent / ".venv-stripe/bin/python"),
            str(ROOT / "localstripe_indexed.py"),
            "--port",
            str(STRIPE_PORT),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{STRIPE_PORT}"
    try:
        _wait_port(STRIPE_PORT, "the Stripe emulator")
        target, vote = data["target"], data["vote"]
        projects = list(vote.projects.values_list("pk", flat=True))
        tag = f"{os.getpid()}-{int(time.time())}"
        voters = iter(
            users_logged_in(
                f"bench-prof-vote-{tag}", repeat + 1, community=vote.community
            )
        )
        backers = iter(users_logged_in(f"bench-prof-pledge-{tag}", repeat + 1))
        made: list[tuple[dict, int]] = []

        def client_of(person):
            client = Client()
            for part in person["cookie"].split("; "):
                name, value = part.split("=", 1)
                client.cookies[name] = value
            return client

        def pledge_post():
            person = next(backers)
            response = client_of(person).post(
                f"/campaigns/{target.slug}/pledge/", {"amount": "25"}
            )
            made.append((person, int(response["Location"].split("/")[-3])))
            return response

        def pay_get():
            person, pk = made.pop()
            return client_of(person).get(f"/campaigns/pledges/{pk}/pay/")

        def vote_post():
            return client_of(next(voters)).post(
                f"/communities/{vote.community.slug}/p/{vote.slug}/vote/",
                {f"project_{pk}": "on" for pk in projects[:2]},
            )

        anonymous = Client()
        paths = {
            "campaign (cached body)": lambda: anonymous.get(
                data["page"].get_absolute_url()
            ),
            "campaign (body afresh)": lambda: (
                cache.clear(),
                anonymous.get(data["page"].get_absolute_url()),
            )[1],
            "results-demo": lambda: anonymous.get(_results_url(data["demo"])),
            "results-ballots": lambda: anonymous.get(_results_url(data["ballots"])),
            "results-backers": lambda: anonymous.get(
                _results_url(data["page"].project.process)
            ),
            "pledge": pledge_post,
            "pay": pay_get,
            "vote": vote_post,
        }
        print("| path | queries | wall p50 ms | CPU p50 ms | status |")
        print("| --- | --- | --- | --- | --- |")
        for name, call in paths.items():
            call()  # warm-up
            with CaptureQueriesContext(connection) as queries:
                response = call()
            count = len(queries)  # each request starts with an empty log
            if os.environ.get("BENCH_LOAD_SQL"):
                for query in queries.captured_queries:
                    print(f"    {query['time']} {query['sql'][:400]}")
            walls, cpus = [], []
            for _ in range(repeat - 1):
                wall, cpu = time.perf_counter(), time.process_time()
                call()
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            print(
                f"| {name} | {count} | {statistics.median(walls):.1f} | "
                f"{statistics.median(cpus):.1f} | {response.status_code} |",
                flush=True,
            )
    finally:
        _stop(stripe)


def _describe(name: str, runs: list[dict]) -> dict:
    med = {
        k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p95", "p99")
    }
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    for r in runs:
        for s, n in r["statuses"].items():
            statuses[s] = statuses.get(s, 0) + n
        for kind, n in r["errors"].items():
            errors[kind] = errors.get(kind, 0) + n
    checks = [r["check"] for r in runs if "check" in r]
    return {
        "name": name,
        **med,
        "rps_range": (min(r["rps"] for r in runs), max(r["rps"] for r in runs)),
        "requests": sum(r["requests"] for r in runs),
        "statuses": statuses,
        "errors": errors,
        "loads": [r["load"] for r in runs],
        "busy": statistics.median(r["busy"] for r in runs),
        "checks": checks,
        "exhausted": any(r.get("exhausted") for r in runs),
    }


def _print_table(rows: list[dict], workers: str) -> None:
    print()
    print(
        f"{datetime.date.today()}, {os.cpu_count()} CPUs, gunicorn {workers}, "
        f"DEBUG off, RATE_LIMIT_ENABLED=false, {ARGS.runs} runs of {ARGS.seconds} s "
        f"each (median; requests/s range), pages {ARGS.page_connections} "
        f"connections, POSTs {ARGS.post_connections}"
    )
    print(
        "| path | req/s (range) | p50 / p95 / p99 ms | answers | errors "
        "| load before | CPU busy | DB check |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        answers = ", ".join(f"{s}: {n:,}" for s, n in sorted(row["statuses"].items()))
        errors = ", ".join(f"{k} {n}" for k, n in row["errors"].items()) or "0"
        if row["checks"]:
            problems = sorted({p for c in row["checks"] for p in c["problems"]})
            ok = sum(c.get("successes", 0) for c in row["checks"])
            rows_written = sum(c.get("rows", 0) for c in row["checks"])
            unanswered = sum(c.get("unanswered_rows", 0) for c in row["checks"])
            own = sum(c.get("own", 0) for c in row["checks"])
            check = (
                "; ".join(problems)
                if problems
                else f"{own:,} answers, each with its asker's name"
                if own
                else f"{rows_written:,} rows = {ok:,} successes"
                + (f" + {unanswered} in flight at the end" if unanswered else "")
            )
        else:
            check = "-"
        if row["exhausted"]:
            check += " (ran out of users: raise --users-per-run)"
        low, high = row["rps_range"]
        print(
            f"| {row['name']} | {row['rps']:.0f} ({low:.0f}-{high:.0f}) | "
            f"{row['p50']:.1f} / {row['p95']:.1f} / {row['p99']:.1f} | {answers} | "
            f"{errors} | {', '.join(f'{x:.2f}' for x in row['loads'])} | "
            f"{row['busy']:.0f}% | {check} |"
        )


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench-deps` (Debian's wrk package)")
    if connection.vendor != "postgresql":
        sys.exit("bench/load.py runs on PostgreSQL")
    started = time.monotonic()
    data = setup_data()
    print(f"data ready in {time.monotonic() - started:.0f} s")
    if ARGS.setup_only:
        return
    if ARGS.profile:
        profile(data)
        return
    wanted = [m.strip() for m in ARGS.only.split(",") if m.strip()]
    unknown = set(wanted) - set(MEASURES)
    if unknown:
        sys.exit(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    pages = {
        "campaign": data["page"].get_absolute_url(),
        "results-demo": _results_url(data["demo"]),
        "results-ballots": _results_url(data["ballots"]),
        "results-backers": _results_url(data["page"].project.process),
        "campaign-pledging": data["target"].get_absolute_url(),
    }
    rows = []
    with servers() as (base, workers):
        bench = Bench(base, data)
        for path in pages.values():
            bench.warm(path)
        # Unmeasured: the POST paths once per thread, the card page of those.
        bench.pledge(ARGS.post_connections * 3, seconds=5)
        bench.pay(seconds=5, top_up=False)
        bench.vote(ARGS.post_connections * 3, seconds=5)
        for name in wanted:
            analyze()  # the POST runs before this one added rows
            runs = []
            for _ in range(ARGS.runs):
                if name == "campaign-pledging":
                    pledging = bench.pledge(page_meanwhile=pages[name])
                    figures = {**pledging["page"], "pledges": pledging}
                elif name in ("campaign-members", "campaign-members-kept"):
                    figures = bench.members_page(
                        pages["campaign"], kept=name.endswith("-kept")
                    )
                elif name in pages:
                    figures = bench.page(pages[name])
                else:
                    figures = getattr(bench, name)()
                runs.append(figures)
                print(
                    f"{name}: {figures['rps']:.0f} req/s, p50 {figures['p50']:.1f} ms, "
                    f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms, "
                    f"{figures['statuses']}, errors {figures['errors'] or 0}, load "
                    f"before {figures['load']:.2f}, CPU {figures['busy']:.0f}%"
                    + (f", check {figures['check']}" if "check" in figures else "")
                    + (
                        f"; meanwhile pledges {figures['pledges']['rps']:.0f} req/s, "
                        f"p95 {figures['pledges']['p95']:.1f} ms, "
                        f"{figures['pledges']['statuses']}, "
                        f"check {figures['pledges']['check']}"
                        if "pledges" in figures
                        else ""
                    ),
                    flush=True,
                )
            rows.append(_describe(name, runs))
            if name == "campaign-pledging":
                rows.append(
                    _describe("(pledges meanwhile)", [r["pledges"] for r in runs])
                )
    _print_table(rows, workers)


if __name__ == "__main__":
    main()
