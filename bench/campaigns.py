"""Campaigns under load: pledges, the close of a big campaign, receipts.

    createdb -h 127.0.0.1 -U postgres civic_bench_campaigns
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic_bench_campaigns
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/campaigns.py pledges [--writers 32] [--pledges 300]
        [--served-by deploy|PxT]
    .venv/bin/python bench/campaigns.py close [--pledges 10000] [--workers N]
    .venv/bin/python bench/campaigns.py receipts [--processes 1] [--receipts 60]
        [--kind pledge|donation]

``pledges``: writer processes (multiprocessing, fork), each with its own
Django connection opened before the start and kept for the run, start together
on a barrier and call ``campaigns.services.pledge_create`` (the write a pledge
makes: the pledge, its pending payment and event, its reward claim; no Stripe
call). Even-numbered writers pledge for a limited reward whose quantity is
below their attempts (so some are refused with RewardSoldOut); odd-numbered
writers alternate between no reward and an unlimited reward. Checks: the
limited tier is claimed exactly ``quantity`` times, never more; each tier's
counter equals its claims; every recorded pledge has its payment, its events
and (if it asked for one) its claim; a refused pledge left nothing behind;
every ledger transaction is balanced.

``pledges --served-by deploy`` (or ``PxT``): the same ``--writers`` clients,
now threads of one process holding no connection, each sending its pledges
one after the other and waiting for each answer, served by P processes of T
threads (each thread its own connection), the shape in which gunicorn serves
requests in production (deploy/gunicorn.conf.py): PostgreSQL sees P x T
connections, not one per client, and a client's latency includes its wait in
the queue. Same pledges, same checks.

``close``: a live all-or-nothing campaign with ``--pledges`` committed pledges
(card saved in the Stripe emulator through the services; the set-up runs in
``--setup-processes`` processes and is not timed), then its deadline passes
and ``campaigns.services.campaign_close`` is timed. Run it with
``CELERY_BROKER_URL`` set (Redis) so that the receipts and e-mails the close
triggers are queued, as in production, not run inline; the script says which.
Checks: the campaign succeeded, every pledge paid, exactly one succeeded
PaymentIntent per payment in the emulator, one ``charge`` ledger transaction
per payment, every ledger transaction balanced, the project's fund holds the
total.

``receipts``: ``campaigns.services.receipt_render`` of pledge receipts (the
template, WeasyPrint, storing the file, the e-mail to the console/locmem
backend) and the bare ``documents.pdf.render_pdf`` of the template, in 1 or
more processes; receipts per second, per core, and process CPU per receipt.
``--kind donation``: numbered donation receipts instead, for paid pledges
without reward to a non-profit (``receipt_render`` takes the number and
writes the receipt's row in one short transaction, renders, then stores the
PDF), all of one community, so the processes share its number sequence; the
numbers must come out consecutive. ``--png PATH`` also writes the first
rendered receipt as a PNG (pdftoppm -r 60) to look at.

DEBUG is off unless the environment says otherwise, as in production.
"""

import argparse
import datetime
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Celery's Django fixup (config/celery.py, loaded by django.setup) puts the
# working directory first on sys.path: started from another checkout, this
# script would run that checkout's code. It runs its own tree's.
STARTED_IN = Path.cwd()  # where relative paths given on the command line are
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
# Receipts are stored in a scratch folder and e-mailed to memory, not the console.
MEDIA = tempfile.TemporaryDirectory(prefix="bench-campaigns-media-")
os.environ.setdefault("MEDIA_ROOT", MEDIA.name)
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from cpuref import cpuref_ms  # noqa: E402  (bench/, this script's folder)
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Q, Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from campaigns import services  # noqa: E402
from campaigns.models import Campaign, Pledge, PledgeEvent  # noqa: E402
from participation.models import Community, Process, ProcessResult, Project  # noqa: E402
from payments.ledger import account_balance  # noqa: E402
from payments.models import Entry, LedgerTransaction, Payment, PaymentEvent  # noqa: E402
from rewards.exceptions import RewardSoldOut  # noqa: E402
from rewards.models import RewardClaim, RewardTier  # noqa: E402

# --- shared ------------------------------------------------------------------


def campaign_make(run: str, *, goal_cents: int, nonprofit: bool = False) -> Campaign:
    """A live all-or-nothing campaign for a winning project, made through the
    services (the project and its vote result are written directly)."""
    community = Community.objects.create(
        name=f"Bench community {run}",
        slug=f"bench-{run}",
        kind=Community.Kind.PRISON,
        nonprofit=nonprofit,
        legal_name=f"Associazione Bench {run} ETS",
        tax_code="97123450588",
        address="Via dei Volsci 12\n00185 Roma RM",
    )
    process = Process.objects.create(
        community=community,
        title=f"Bilancio partecipativo {run}",
        slug=f"bench-{run}",
        budget_cents=10_000_000,
        phase="results",
    )
    project = Project.objects.create(
        process=process,
        code="P01",
        title="Una falegnameria per la sezione B",
        description="Banchi, attrezzi e un corso.",
        cost_cents=goal_cents,
        feasibility="feasible",
    )
    ProcessResult.objects.create(
        process=process,
        rule="greedy",
        winners=["P01"],
        explanation={},
        ballots_counted=1,
    )
    now = timezone.now()
    campaign = services.campaign_create(
        project=project,
        title="Una falegnameria per la sezione B",
        story="Banchi, attrezzi e un corso.",
        slug=f"bench-{run}",
        goal_cents=goal_cents,
        starts_at=now - datetime.timedelta(minutes=1),
        deadline=now + datetime.timedelta(days=30),
    )
    return services.campaign_publish(campaign=campaign)


def users_make(run: str, count: int) -> list[User]:
    User.objects.bulk_create(
        User(
            email=f"bench-{run}-{n}@example.org",
            display_name=f"Backer {n}",
            password="!",  # unusable: nobody logs in
        )
        for n in range(count)
    )
    return list(User.objects.filter(email__startswith=f"bench-{run}-").order_by("pk"))


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (Linux)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (our PostgreSQL backend), or 0.0
    when it cannot be read (PostgreSQL on another host)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def unbalanced_transactions() -> int:
    return (
        Entry.objects.values("transaction")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
        .count()
    )


def code_line() -> str:
    """Which checkout's code runs, and at which commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"code: {Path(services.__file__).parents[2]} ({commit or 'no git'})"


def speed_line() -> str:
    """The machine's speed now (bench/cpuref.py), to compare runs by."""
    return f"machine: cpuref {cpuref_ms():.1f} ms"


def server_line() -> str:
    if connection.vendor != "postgresql":
        return f"database: {connection.vendor}; {code_line()}; {speed_line()}"
    with connection.cursor() as cursor:
        found = {}
        for name in ("server_version", "synchronous_commit", "fsync"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return (
        f"PostgreSQL {found['server_version']}: synchronous_commit="
        f"{found['synchronous_commit']}, fsync={found['fsync']}; {code_line()}; "
        f"{speed_line()}"
    )


def print_cpu(busy, machine_cpu, clients_cpu, backends_cpu, count, what) -> None:
    """CPU per unit of work: ours (our processes and their PostgreSQL
    backends, from /proc) and the whole machine's (which includes whatever
    else ran on it: the machine is shared)."""
    ours = clients_cpu + backends_cpu
    print(
        f"CPU per {what}: ours {ours / count * 1e3:.2f} ms = Python (Django, "
        f"psycopg) {clients_cpu / count * 1e3:.2f} ms + our PostgreSQL backends "
        f"{backends_cpu / count * 1e3:.2f} ms; machine {busy:.0%} busy, "
        f"{machine_cpu / count * 1e3:.2f} ms per {what} "
        f"({max(0.0, machine_cpu - ours) / max(machine_cpu, 1e-9):.0%} not ours: "
        "kernel, other PostgreSQL processes, other work)"
    )


def print_checks(checks: dict[str, bool]) -> bool:
    for name, ok in checks.items():
        print(f"check {name}: {'ok' if ok else 'FAILED'}")
    return all(checks.values())


# --- pledges -----------------------------------------------------------------


def reward_claim_insert_first(*, tier, pledge, shipping=None):
    """What-if (not the project's code): ``rewards.services.reward_claim`` with
    the claim inserted before the conditional UPDATE, so the tier's row lock is
    held for the UPDATE and the COMMIT only, not for one more round trip. A
    refused UPDATE still raises RewardSoldOut and the caller's transaction
    takes the claim back with everything else."""
    from django.db.models import F

    shipping = shipping or {}
    claim = RewardClaim.objects.create(
        tier=tier,
        pledge=pledge,
        ship_name=shipping.get("name", ""),
        ship_address=shipping.get("address", ""),
        ship_postcode=shipping.get("postcode", ""),
        ship_city=shipping.get("city", ""),
        ship_country=shipping.get("country", "") or "IT",
    )
    taken = (
        RewardTier.objects.filter(pk=tier.pk)
        .filter(Q(quantity__isnull=True) | Q(claimed__lt=F("quantity")))
        .update(claimed=F("claimed") + 1)
    )
    if not taken:
        raise RewardSoldOut(f"{tier.title} is sold out")
    return claim


def what_if_apply(name: str) -> None:
    """Swap in a what-if before the writers fork (they inherit it)."""
    if name == "claim-first":
        from campaigns.services import pledges

        pledges.reward_claim = reward_claim_insert_first
    if name == "version-every-pledge":
        # As before the coalescing: each pledge writes the page version.
        settings.CAMPAIGN_PAGE_BUMP_WINDOW = 0
    if name == "no-campaign-lock":
        # UNSAFE, a ceiling only: the statement without the campaign row's
        # FOR SHARE (a pledge could then slip past a close). What the lock
        # costs 32 writers of one campaign: each locker of a row others hold
        # makes a new MultiXact and writes the row's page (WAL).
        from campaigns.services import pledge_statement

        pledge_statement._STATEMENT = pledge_statement._STATEMENT.replace(
            " FOR SHARE", ""
        )
        pledge_statement._statement.cache_clear()
    if name == "unlimited-uncounted":
        # A what-if: an unlimited tier's claim does not update the tier's
        # row (only a limited tier's counter guards anything), so its
        # claimers do not queue on that row.
        from campaigns.services import pledge_statement

        pledge_statement._TAKEN = """limited AS (
    UPDATE {tier_table} SET claimed = claimed + 1
    WHERE id = %(tier_id)s AND campaign_id = %(campaign_id)s
        AND quantity IS NOT NULL AND claimed < quantity
        AND EXISTS (SELECT FROM open)
    RETURNING id
), taken AS (
    SELECT id FROM limited
    UNION ALL
    SELECT id FROM {tier_table}
    WHERE id = %(tier_id)s AND campaign_id = %(campaign_id)s
        AND quantity IS NULL AND EXISTS (SELECT FROM open)
), go AS (SELECT open.* FROM open, taken)"""
        pledge_statement._statement.cache_clear()


def pledge_tier(writer: int, index: int, tiers: dict, mix: str) -> RewardTier | None:
    """Even writers: the limited tier; odd writers: no reward, unlimited, ...
    (``--mix no-reward``: no reward for anyone, a what-if without hot rows)."""
    if mix == "no-reward":
        return None
    if writer % 2 == 0:
        return tiers["limited"]
    return tiers["unlimited"] if index % 2 else None


def pledge_writer(
    writer, campaign_pk, tier_pks, user_pk, pledges, mix, barrier, results
):
    try:
        campaign = Campaign.objects.get(pk=campaign_pk)  # opens the connection
        tiers = {name: RewardTier.objects.get(pk=pk) for name, pk in tier_pks.items()}
        backer = User.objects.get(pk=user_pk)
        backend = backend_pid()
        latencies, outcomes = [], {"ok": 0, "sold_out": 0, "asked_tier": []}
        barrier.wait()
        cpu_start = time.process_time()
        backend_start = process_cpu(backend)
        for index in range(pledges):
            start = time.perf_counter()
            outcome, asked = pledge_attempt(campaign, tiers, backer, writer, index, mix)
            latencies.append(time.perf_counter() - start)
            outcomes[outcome] += 1
            if asked is not None:
                outcomes["asked_tier"].append(asked)
        cpu = time.process_time() - cpu_start
        backend_cpu = process_cpu(backend) - backend_start
        results.put((writer, latencies, outcomes, cpu, backend_cpu))
    except BaseException as error:
        results.put((writer, None, repr(error), 0.0, 0.0))
        raise
    finally:
        connection.close()


def pledge_attempt(campaign, tiers, backer, writer, index, mix):
    """One ``pledge_create`` as writer ``writer``'s attempt ``index``:
    ("ok", pk if it asked for a reward else None) or ("sold_out", None)."""
    tier = pledge_tier(writer, index, tiers, mix)
    try:
        pledge = services.pledge_create(
            campaign=campaign,
            amount_cents=3_000 + (writer * 31 + index * 7) % 5_000,
            backer=backer,
            tier=tier,
        )
    except RewardSoldOut:
        return "sold_out", None
    return "ok", pledge.pk if tier is not None else None


def pledge_server_thread(campaign_pk, tier_pks, user_pks, mix, jobs, answers, ready):
    """A request handler: its own database connection (Django's are per
    thread), then pledges as the jobs come, each answered to its client.
    Returns its PostgreSQL backend's CPU seconds over the run."""
    campaign = Campaign.objects.get(pk=campaign_pk)  # opens the connection
    tiers = {name: RewardTier.objects.get(pk=pk) for name, pk in tier_pks.items()}
    backers = User.objects.in_bulk(user_pks)
    backers = [backers[pk] for pk in user_pks]
    backend = backend_pid()
    ready.wait()
    backend_start = process_cpu(backend)
    try:
        while (job := jobs.get()) is not None:
            client, index = job
            try:
                answer = pledge_attempt(
                    campaign, tiers, backers[client], client, index, mix
                )
            except Exception as error:  # the client reports it, then stops
                answer = ("error", repr(error))
            answers[client].put(answer)
        return process_cpu(backend) - backend_start
    finally:
        connection.close()


def pledge_server(
    threads, campaign_pk, tier_pks, user_pks, mix, jobs, answers, ready, results
):
    """A server process as deploy/gunicorn.conf.py runs them: ``threads``
    handlers taking the clients' requests from one queue."""
    import concurrent.futures

    try:
        cpu_start = time.process_time()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            handlers = [
                pool.submit(
                    pledge_server_thread,
                    campaign_pk,
                    tier_pks,
                    user_pks,
                    mix,
                    jobs,
                    answers,
                    ready,
                )
                for _ in range(threads)
            ]
            backends_cpu = sum(handler.result() for handler in handlers)
        results.put((time.process_time() - cpu_start, backends_cpu, ""))
    except BaseException as error:
        results.put((0.0, 0.0, repr(error)))
        raise


def pledges_by_writers(args, campaign, tiers, users):
    """``--writers`` processes, each with its own connection, each calling
    ``pledge_create`` in a loop: one connection per client."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.writers + 1)
    results = context.Queue()
    tier_pks = {name: tier.pk for name, tier in tiers.items()}
    processes = [
        context.Process(
            target=pledge_writer,
            args=(
                w,
                campaign.pk,
                tier_pks,
                users[w].pk,
                args.pledges,
                args.mix,
                barrier,
                results,
            ),
        )
        for w in range(args.writers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started, ticks_before = time.perf_counter(), cpu_ticks()
    reports = [results.get(timeout=900) for _ in processes]
    wall, ticks_after = time.perf_counter() - started, cpu_ticks()
    for process in processes:
        process.join(timeout=60)
    failed = [report for report in reports if report[1] is None]
    if failed:
        sys.exit(f"writer {failed[0][0]} failed: {failed[0][2]}")
    return {
        "wall": wall,
        "ticks": (ticks_before, ticks_after),
        "latencies": [report[1] for report in reports],
        "outcomes": [report[2] for report in reports],
        "python_cpu": sum(report[3] for report in reports),
        "backends_cpu": sum(report[4] for report in reports),
        "shape": f"writers (processes): {args.writers}",
    }


def served_shape(value: str) -> tuple[int, int]:
    """(processes, threads) of ``--served-by``: "PxT", or "deploy" for what
    deploy/gunicorn.conf.py gives this machine (``WEB_CONCURRENCY``,
    ``GUNICORN_THREADS`` or their defaults)."""
    if value == "deploy":
        import runpy

        conf = runpy.run_path(
            str(Path(__file__).resolve().parent.parent / "deploy/gunicorn.conf.py")
        )
        return conf["workers"], conf["threads"]
    processes, _, threads = value.partition("x")
    return int(processes), int(threads)


def pledges_served(args, campaign, tiers, users):
    """``--served-by PxT``: ``--writers`` clients (threads of this process,
    which holds no connection) each send their pledges one after the other,
    waiting for each answer, to P server processes of T handler threads, the
    shape deploy/gunicorn.conf.py gives production (2 workers per core, 4
    threads each): PostgreSQL sees P x T connections, not one per client. A
    client's latency includes its wait in the queue. Returns the reports'
    shape of the writer processes: latencies, outcomes, Python and backend
    CPU (the servers' and the clients')."""
    import threading

    processes, threads = served_shape(args.served_by)
    context = multiprocessing.get_context("fork")
    jobs = context.SimpleQueue()
    answers = [context.SimpleQueue() for _ in range(args.writers)]
    ready = context.Barrier(processes * threads + 1)
    results = context.Queue()
    tier_pks = {name: tier.pk for name, tier in tiers.items()}
    user_pks = [user.pk for user in users]
    servers = [
        context.Process(
            target=pledge_server,
            args=(
                threads,
                campaign.pk,
                tier_pks,
                user_pks,
                args.mix,
                jobs,
                answers,
                ready,
                results,
            ),
        )
        for _ in range(processes)
    ]
    for server in servers:
        server.start()
    latencies = [[] for _ in range(args.writers)]
    outcomes = [
        {"ok": 0, "sold_out": 0, "asked_tier": [], "error": ""}
        for _ in range(args.writers)
    ]

    def client(number):
        mine, seen = latencies[number], outcomes[number]
        for index in range(args.pledges):
            start = time.perf_counter()
            jobs.put((number, index))
            outcome, detail = answers[number].get()
            mine.append(time.perf_counter() - start)
            if outcome == "error":
                seen["error"] = detail
                return
            seen[outcome] += 1
            if detail is not None:
                seen["asked_tier"].append(detail)

    clients = [threading.Thread(target=client, args=(n,)) for n in range(args.writers)]
    ready.wait()
    started, cpu_start, ticks_before = (
        time.perf_counter(),
        time.process_time(),
        cpu_ticks(),
    )
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    wall, ticks_after = time.perf_counter() - started, cpu_ticks()
    clients_cpu = time.process_time() - cpu_start
    for _ in range(processes * threads):
        jobs.put(None)
    reports = [results.get(timeout=900) for _ in servers]
    for server in servers:
        server.join(timeout=60)
    errors = [r[2] for r in reports if r[2]] + [
        o["error"] for o in outcomes if o["error"]
    ]
    if errors:
        sys.exit(f"a server or client failed: {errors[0]}")
    return {
        "wall": wall,
        "ticks": (ticks_before, ticks_after),
        "latencies": latencies,
        "outcomes": outcomes,
        "python_cpu": clients_cpu + sum(r[0] for r in reports),
        "backends_cpu": sum(r[1] for r in reports),
        "shape": f"{args.writers} clients (threads of one process) served by "
        f"{processes} processes x {threads} threads "
        f"({processes * threads} connections)",
    }


def pledge_statements(
    campaign: Campaign, tier: RewardTier, backer: User
) -> tuple[list[str], int]:
    """The SQL one pledge with a reward sends, and its id (a warm-up pledge,
    in the checks)."""
    with CaptureQueriesContext(connection) as captured:
        pledge = services.pledge_create(
            campaign=campaign, amount_cents=3_000, backer=backer, tier=tier
        )
    return [query["sql"].split()[0] for query in captured.captured_queries], pledge.pk


def check_pledges(
    campaign, tiers, quantity, limited_attempts, attempts, outcomes
) -> dict:
    pledges = Pledge.objects.filter(campaign=campaign)
    limited, unlimited = (
        RewardTier.objects.get(pk=tiers["limited"].pk),
        RewardTier.objects.get(pk=tiers["unlimited"].pk),
    )
    recorded = outcomes["ok"] + 1  # + the warm-up pledge (unlimited tier)
    payments = Payment.objects.filter(
        purpose="pledge", credit_account=campaign.account_code
    )
    claims = RewardClaim.objects.filter(pledge__campaign=campaign)
    expected = quantity if limited_attempts else 0
    return {
        f"pledge_create calls = {attempts}": outcomes["ok"] + outcomes["sold_out"]
        == attempts,
        f"limited tier claimed = {expected}": limited.claimed == expected,
        f"limited tier claims = {expected}": (
            claims.filter(tier=limited).count() == expected
        ),
        f"refused as sold out = {limited_attempts - expected}": outcomes["sold_out"]
        == limited_attempts - expected,
        "unlimited tier claimed = its claims": unlimited.claimed
        == claims.filter(tier=unlimited).count(),
        f"pledges recorded = {recorded}": pledges.count() == recorded,
        "every pledge has its payment": not pledges.filter(
            payment__isnull=True
        ).exists(),
        "one pledge payment per pledge (a refused pledge left none)": (
            payments.count() == recorded
            and set(payments.values_list("purpose_id", flat=True))
            == {str(pk) for pk in pledges.values_list("pk", flat=True)}
        ),
        "no event row written at a pledge's creation (its rows are the record)": (
            not PledgeEvent.objects.filter(pledge__campaign=campaign).exists()
            and not PaymentEvent.objects.filter(payment__in=payments).exists()
        ),
        "every pledge that asked for a reward has its claim, and no other": (
            set(outcomes["asked_tier"])
            == set(claims.values_list("pledge_id", flat=True))
        ),
        "no unbalanced ledger transaction": unbalanced_transactions() == 0,
    }


def run_pledges(args) -> int:
    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL: set DATABASE_URL to a dedicated, migrated database")
    if args.server_side_binding:  # before the first connection
        connection.settings_dict["OPTIONS"].update(
            server_side_binding=True, prepare_threshold=1
        )
    what_if_apply(args.what_if)
    run = uuid.uuid4().hex[:8]
    campaign = campaign_make(run, goal_cents=100_000)
    attempts = args.writers * args.pledges
    limited_attempts = (args.writers + 1) // 2 * args.pledges
    if args.mix == "no-reward":
        limited_attempts = 0
    quantity = limited_attempts * 3 // 4 or 1
    tiers = {
        "limited": services.tier_create(
            campaign=campaign, title="Panca", min_pledge_cents=3_000, quantity=quantity
        ),
        "unlimited": services.tier_create(
            campaign=campaign, title="Grazie", min_pledge_cents=1_000
        ),
    }
    users = users_make(run, args.writers)
    statements, warm_up_pk = pledge_statements(campaign, tiers["unlimited"], users[0])
    server = server_line()
    connections.close_all()  # the writers must not share the parent's socket

    if args.served_by:
        measured = pledges_served(args, campaign, tiers, users)
    else:
        measured = pledges_by_writers(args, campaign, tiers, users)
    wall, (ticks_before, ticks_after) = measured["wall"], measured["ticks"]
    latencies = sorted(value for values in measured["latencies"] for value in values)
    outcomes = {
        key: sum(seen[key] for seen in measured["outcomes"])
        for key in ("ok", "sold_out")
    }
    outcomes["asked_tier"] = [warm_up_pk] + [
        pk for seen in measured["outcomes"] for pk in seen["asked_tier"]
    ]
    writers_cpu, backends_cpu = measured["python_cpu"], measured["backends_cpu"]
    cores = os.cpu_count() or 1
    busy = (ticks_after[0] - ticks_before[0]) / max(1, ticks_after[1] - ticks_before[1])
    machine_cpu = busy * cores * wall
    # Pledges write the campaign page's version in the cache (campaign_changed,
    # at most once per writer and CAMPAIGN_PAGE_BUMP_WINDOW): in memory here
    # unless REDIS_URL is set, as it is in production, where that write is a
    # Redis round trip of the writer's CPU.
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"{server}; {cores} cores; DEBUG={settings.DEBUG}; cache: {cache_backend}")
    print(
        "pledge_create"
        f"{'' if args.what_if == 'none' else ', what-if ' + args.what_if}"
        f"{', server-side binding' if args.server_side_binding else ''}; "
        f"with a reward it sends {len(statements)}: {', '.join(statements)}"
    )
    print(
        f"{measured['shape']}, pledges per writer: {args.pledges}; "
        f"mix: {args.mix}, limited tier: {quantity} for {limited_attempts} attempts"
    )
    print(
        f"pledge_create calls: {attempts} in {wall:.2f} s = {attempts / wall:,.0f}/s; "
        f"recorded {outcomes['ok']} = {outcomes['ok'] / wall:,.0f}/s, "
        f"refused (sold out) {outcomes['sold_out']}"
    )
    print(
        "latency per call: "
        f"p50 {percentile(latencies, 0.50) * 1e3:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1e3:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, "
        f"max {latencies[-1] * 1e3:.1f} ms"
    )
    print_cpu(busy, machine_cpu, writers_cpu, backends_cpu, attempts, "call")
    checks = check_pledges(
        campaign, tiers, quantity, limited_attempts, attempts, outcomes
    )
    return 0 if print_checks(checks) else 1


# --- close -------------------------------------------------------------------

CARD_OK = "4242424242424242"


def stripe_reachable() -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(
            settings.STRIPE_API_BASE + "/js.stripe.com/v3/", timeout=3
        )  # noqa: S310 - loopback emulator
    except OSError:
        return False
    return True


def broker_queued() -> int | None:
    """Messages waiting in the Celery default queue (Redis), or None."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def close_setup_chunk(campaign_pk, tier_pk, user_pks, start, count, results):
    """Committed pledges with saved cards, through the services (not timed)."""
    from payments.gateways.stripe_client import stripe_client
    from payments.services import card_save_confirm, card_save_start

    try:
        campaign = Campaign.objects.get(pk=campaign_pk)
        tier = RewardTier.objects.get(pk=tier_pk)
        users = {user.pk: user for user in User.objects.filter(pk__in=user_pks)}
        client = stripe_client()
        for n in range(start, start + count):
            pledge = services.pledge_create(
                campaign=campaign,
                amount_cents=close_amount(n),
                backer=users[user_pks[n - start]],
                tier=tier if n % 3 == 0 else None,
            )
            payment = pledge.payment
            card_save_start(payment=payment)
            payment.refresh_from_db()
            method = client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": CARD_OK,
                        "exp_month": 12,
                        "exp_year": 2030,
                        "cvc": "123",
                    },
                }
            ).id
            card_save_confirm(payment=payment, payment_method=method)
        results.put((start, None))
    except BaseException as error:
        results.put((start, repr(error)))
        raise
    finally:
        connection.close()


def closer_main(campaign_pk, options, barrier, results) -> None:
    try:
        campaign = Campaign.objects.get(pk=campaign_pk)  # opens the connection
        backend = backend_pid()
        barrier.wait()
        cpu_start, backend_start = time.process_time(), process_cpu(backend)
        services.campaign_close(campaign=campaign, **options)
        # Charging threads have their own backends, gone by now: their CPU is
        # in the machine's figure, not in "our PostgreSQL backends".
        results.put(
            (time.process_time() - cpu_start, process_cpu(backend) - backend_start, "")
        )
    except BaseException as error:
        results.put((0.0, 0.0, repr(error)))
        raise
    finally:
        connection.close()


def close_amount(n: int) -> int:
    return 500 + (n * 7_919) % 4_501  # 5.00 to 50.00 EUR


def close_setup(run: str, pledges: int, processes: int) -> Campaign:
    campaign = campaign_make(run, goal_cents=100_000, nonprofit=True)
    tier = services.tier_create(campaign=campaign, title="Grazie", min_pledge_cents=500)
    users = users_make(run, pledges)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    size = -(-pledges // processes)
    workers = []
    for start in range(0, pledges, size):
        count = min(size, pledges - start)
        user_pks = [user.pk for user in users[start : start + count]]
        workers.append(
            context.Process(
                target=close_setup_chunk,
                args=(campaign.pk, tier.pk, user_pks, start, count, results),
            )
        )
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=3_600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    failed = [error for _, error in reports if error]
    if failed:
        sys.exit(f"set-up failed: {failed[0]}")
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - datetime.timedelta(days=31),
        deadline=now - datetime.timedelta(seconds=1),
    )
    return Campaign.objects.get(pk=campaign.pk)


def emulator_intents() -> dict[str, list[dict]]:
    """Every PaymentIntent the emulator holds, by our payment id."""
    from payments.gateways.stripe_client import stripe_client

    found: dict[str, list[dict]] = {}
    page = stripe_client().v1.payment_intents.list(params={"limit": 100})
    for intent in page.auto_paging_iter():
        intent = intent.to_dict()
        key = (intent.get("metadata") or {}).get("payment_id", "")
        found.setdefault(key, []).append(
            {"id": intent["id"], "status": intent["status"], "amount": intent["amount"]}
        )
    return found


def check_close(campaign: Campaign, pledges: int) -> dict[str, bool]:
    campaign.refresh_from_db()
    ours = Payment.objects.filter(
        purpose="pledge", credit_account=campaign.account_code
    )
    payments = {str(p.pk): p for p in ours}
    intents = emulator_intents()
    succeeded = {
        key: [i for i in found if i["status"] == "succeeded"]
        for key, found in intents.items()
        if key in payments
    }
    charge_txns = LedgerTransaction.objects.filter(
        kind="charge",
        source_type="payment_intent",
        source_id__in=[p.stripe_payment_intent_id for p in payments.values()],
    )
    total = sum(close_amount(n) for n in range(pledges))
    return {
        "campaign succeeded": campaign.status == Campaign.Status.SUCCEEDED,
        f"pledges paid = {pledges}": Pledge.objects.filter(
            campaign=campaign, status=Pledge.Status.PAID
        ).count()
        == pledges,
        f"payments succeeded = {pledges}": ours.filter(
            status=Payment.Status.SUCCEEDED
        ).count()
        == pledges,
        f"emulator: one succeeded PaymentIntent for each of the {pledges} payments": (
            len(succeeded) == pledges
            and all(len(found) == 1 for found in succeeded.values())
        ),
        "emulator: no other PaymentIntent for our payments": all(
            len(intents[key]) == 1 for key in succeeded
        ),
        "each payment records its emulator intent, amount to the cent": all(
            payments[key].stripe_payment_intent_id == found[0]["id"]
            and payments[key].amount_cents == found[0]["amount"]
            for key, found in succeeded.items()
            if found
        ),
        "one charge attempt per payment": not ours.exclude(charge_attempts=1).exists(),
        f"charge ledger transactions = {pledges}": charge_txns.count() == pledges,
        "no unbalanced ledger transaction": unbalanced_transactions() == 0,
        f"project fund holds {total} cents": account_balance(campaign.project_fund_code)
        == -total,
        "campaign account swept to 0": account_balance(campaign.account_code) == 0,
    }


def run_close(args) -> int:
    from config.celery import app

    if not stripe_reachable():
        sys.exit(
            f"no Stripe emulator at {settings.STRIPE_API_BASE}: set STRIPE_API_BASE"
        )
    if not settings.CELERY_BROKER_URL and not args.eager:
        sys.exit(
            "set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/13) so receipts are"
            " queued as in production, or pass --eager to run them inline"
        )
    if args.campaign:
        campaign = Campaign.objects.get(pk=args.campaign)
        args.pledges = campaign.pledges.count()
        setup = None
    else:
        run = uuid.uuid4().hex[:8]
        started = time.perf_counter()
        campaign = close_setup(run, args.pledges, args.setup_processes)
        setup = time.perf_counter() - started
    print(f"{server_line()}; {os.cpu_count()} cores; DEBUG={settings.DEBUG}")
    print(
        f"Stripe: {settings.STRIPE_API_BASE}; Celery: "
        + (
            f"broker {settings.CELERY_BROKER_URL}, always_eager="
            f"{app.conf.task_always_eager}: .delay() sends the task to the queue"
            if settings.CELERY_BROKER_URL
            else "no broker: tasks run inline (eager)"
        )
    )
    if setup is None:
        print(f"campaign {campaign.pk}, set up earlier: {args.pledges} pledges")
    else:
        print(
            f"set-up: {args.pledges} committed pledges with saved cards in "
            f"{setup:.0f} s ({args.setup_processes} processes; not timed below)"
        )
    if args.setup_only:
        print(f"set up only: close it with --campaign {campaign.pk}")
        return 0
    queued_before = broker_queued()
    options = {} if args.workers is None else {"workers": args.workers}
    if args.batch_size:
        options["batch_size"] = args.batch_size
    connections.close_all()  # closer processes must not share the socket
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.closers + 1)
    results = context.Queue()
    closers = [
        context.Process(
            target=closer_main, args=(campaign.pk, options, barrier, results)
        )
        for _ in range(args.closers)
    ]
    for closer in closers:
        closer.start()
    barrier.wait()
    started = time.perf_counter()
    ticks_before = cpu_ticks()
    reports = [results.get(timeout=7_200) for _ in closers]
    wall = time.perf_counter() - started
    ticks_after = cpu_ticks()
    for closer in closers:
        closer.join(timeout=60)
    failed = [error for _, _, error in reports if error]
    if failed:
        sys.exit(f"a close failed: {failed[0]}")
    cpu = sum(report[0] for report in reports)
    backends_cpu = sum(report[1] for report in reports)
    busy = (ticks_after[0] - ticks_before[0]) / max(1, ticks_after[1] - ticks_before[1])
    queued_after = broker_queued()
    closed = Campaign.objects.get(pk=campaign.pk)
    print(
        f"campaign_close({', '.join(f'{k}={v}' for k, v in options.items())})"
        f"{f' in {args.closers} processes at once' if args.closers > 1 else ''}: "
        f"{closed.status} in {wall:.1f} s = {args.pledges / wall:,.0f} charges/s"
    )
    print_cpu(
        busy,
        busy * (os.cpu_count() or 1) * wall,
        cpu,
        backends_cpu,
        args.pledges,
        "charge",
    )
    if queued_after is not None:
        print(f"tasks queued by the close (not run): {queued_after - queued_before}")
    checks = check_close(campaign, args.pledges)
    ok = print_checks(checks)
    if settings.CELERY_BROKER_URL and args.purge:
        print(f"purged {app.control.purge()} queued tasks from the broker")
    return 0 if ok else 1


# --- receipts ----------------------------------------------------------------


def receipts_setup(run: str, count: int, kind: str = "pledge") -> list[int]:
    """Confirmed pledges without a receipt yet (for pledge receipts a third
    with a reward; for donation receipts none, paid, with the donor's tax code
    and address). Their status is set directly: the card step is not what
    this measures."""
    campaign = campaign_make(run, goal_cents=100_000, nonprofit=True)
    tier = services.tier_create(
        campaign=campaign,
        title="Tagliere in legno",
        min_pledge_cents=2_000,
        made_by="la falegnameria della sezione B",
    )
    users = users_make(run, count)
    ids = []
    for n, user in enumerate(users):
        pledge = services.pledge_create(
            campaign=campaign,
            amount_cents=2_000 + n % 7 * 500,
            backer=user,
            tier=tier if n % 3 == 0 and kind == "pledge" else None,
        )
        ids.append(pledge.pk)
    if kind == "donation":
        Pledge.objects.filter(pk__in=ids).update(
            status=Pledge.Status.PAID,
            donor_tax_code="RSSMRA80A01H501U",
            donor_address="Via Giuseppe Verdi 3\n00184 Roma RM",
        )
        paid = Pledge.objects.filter(pk__in=ids).values("payment_id")
        Payment.objects.filter(pk__in=paid).update(
            status=Payment.Status.SUCCEEDED, paid_at=timezone.now()
        )
    else:
        Pledge.objects.filter(pk__in=ids).update(status=Pledge.Status.COMMITTED)
    return ids


def receipts_warm_up(pledge_id: int, kind: str) -> None:
    """One receipt rendered and e-mailed before the processes fork (templates
    compiled, fonts loaded, as in a worker that has been up for a while); its
    rows are then removed so that it is rendered again in the run."""
    from campaigns.models import Receipt

    receipt = services.receipt_render(pledge_id=pledge_id, kind=kind)
    receipt.file.delete(save=False)
    Receipt.objects.filter(pk=receipt.pk).delete()


def receipts_worker(pledge_ids, what, kind, barrier, results) -> None:
    from django.utils import translation

    from campaigns.services.receipts import STYLESHEETS, receipt_context
    from documents.pdf import render_pdf

    try:
        Pledge.objects.filter(pk=pledge_ids[0]).exists()  # opens the connection
        barrier.wait()
        cpu_start, started = time.process_time(), time.perf_counter()
        if what == "receipt_render":
            for pledge_id in pledge_ids:
                services.receipt_render(pledge_id=pledge_id, kind=kind)
        else:  # the bare PDF of the template, from the same context
            pledges = Pledge.objects.select_related(
                "campaign__community", "campaign__project__process", "payment", "backer"
            ).filter(pk__in=pledge_ids)
            number = "2026/000001" if kind == "donation" else ""
            contexts = [receipt_context(p, kind=kind, number=number) for p in pledges]
            cpu_start, started = time.process_time(), time.perf_counter()
            with translation.override("it"):
                for context in contexts:
                    render_pdf(
                        f"documents/{kind}_receipt.html",
                        context,
                        stylesheets=STYLESHEETS,
                    )
        results.put(
            (time.perf_counter() - started, time.process_time() - cpu_start, "")
        )
    except BaseException as error:
        results.put((0.0, 0.0, repr(error)))
        raise
    finally:
        connection.close()


def receipts_round(
    what: str, kind: str, chunks: list[list[int]]
) -> tuple[float, float]:
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(chunks))
    results = context.Queue()
    workers = [
        context.Process(
            target=receipts_worker, args=(chunk, what, kind, barrier, results)
        )
        for chunk in chunks
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=3_600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    failed = [error for _, _, error in reports if error]
    if failed:
        sys.exit(f"a worker failed: {failed[0]}")
    return max(r[0] for r in reports), sum(r[1] for r in reports)


def run_receipts(args) -> int:
    from campaigns.models import Receipt

    run = uuid.uuid4().hex[:8]
    total = args.processes * args.receipts
    kind = args.kind
    ids = receipts_setup(run, total, kind)
    chunks = [ids[i :: args.processes] for i in range(args.processes)]
    cores = min(args.processes, os.cpu_count() or 1)
    receipts_warm_up(ids[0], kind)
    print(
        f"{server_line()}; {os.cpu_count()} cores; DEBUG={settings.DEBUG}; "
        f"processes: {args.processes}, {kind} receipts per process: {args.receipts}"
    )
    for what in ("render_pdf", "receipt_render"):
        wall, cpu = receipts_round(what, kind, chunks)
        print(
            f"{what}: {total} in {wall:.1f} s = {total / wall:.1f}/s, "
            f"{total / wall / cores:.1f}/s per core; "
            f"CPU {cpu / total * 1e3:.0f} ms per receipt"
        )
    receipts = Receipt.objects.filter(pledge_id__in=ids, kind=kind)
    files_ok = all(r.file.open("rb").read(5) == b"%PDF-" for r in receipts)
    checks = {
        f"one {kind} receipt per pledge ({total})": receipts.count() == total
        and receipts.values("pledge").distinct().count() == total,
        "every receipt stored as a PDF": files_ok,
        "every receipt e-mailed": not receipts.filter(emailed_at__isnull=True).exists(),
    }
    if kind == "donation":
        numbers = list(receipts.values_list("number", flat=True))
        checks["every donation receipt numbered, no number twice"] = all(
            numbers
        ) and len(set(numbers)) == len(numbers)
        counters = sorted(int(n.rsplit("/", 1)[1]) for n in numbers if n)
        checks["the numbers are consecutive (no gap)"] = bool(counters) and (
            counters == list(range(counters[0], counters[0] + len(counters)))
        )
    if args.png:
        png = STARTED_IN / args.png
        first = receipts.order_by("pk").first()
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", first.file.path, png],
            check=True,
        )
        print(f"first receipt as PNG: {png}.png")
    return 0 if print_checks(checks) else 1


# --- main --------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    pledges = commands.add_parser("pledges")
    pledges.add_argument("--writers", type=int, default=32)
    pledges.add_argument("--pledges", type=int, default=300, help="per writer")
    pledges.add_argument("--server-side-binding", action="store_true")
    pledges.add_argument("--mix", choices=["rewards", "no-reward"], default="rewards")
    pledges.add_argument(
        "--what-if",
        choices=[
            "none",
            "claim-first",
            "version-every-pledge",
            "no-campaign-lock",
            "unlimited-uncounted",
        ],
        default="none",
    )
    pledges.add_argument(
        "--served-by",
        default="",
        metavar="PxT",
        help="the --writers clients served by P processes of T threads, or "
        "'deploy': as deploy/gunicorn.conf.py serves requests on this machine "
        "(instead of one process and connection per client)",
    )
    close = commands.add_parser("close")
    close.add_argument("--pledges", type=int, default=10_000)
    close.add_argument("--setup-processes", type=int, default=4)
    close.add_argument("--workers", type=int, default=None)
    close.add_argument("--batch-size", type=int, default=None)
    close.add_argument(
        "--closers", type=int, default=1, help="processes running the close at once"
    )
    close.add_argument("--eager", action="store_true")
    close.add_argument(
        "--setup-only",
        action="store_true",
        help="set up the campaign and stop (see --campaign)",
    )
    close.add_argument(
        "--campaign",
        type=int,
        default=0,
        help="close this campaign, set up earlier with --setup-only",
    )
    close.add_argument(
        "--purge",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="empty the broker's queue afterwards (the bench's own Redis db)",
    )
    receipts = commands.add_parser("receipts")
    receipts.add_argument("--processes", type=int, default=1)
    receipts.add_argument("--receipts", type=int, default=60, help="per process")
    receipts.add_argument("--png", default="", help="write the first one here")
    receipts.add_argument("--kind", choices=("pledge", "donation"), default="pledge")
    args = parser.parse_args()
    commands_run = {
        "pledges": run_pledges,
        "close": run_close,
        "receipts": run_receipts,
    }
    return commands_run[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
