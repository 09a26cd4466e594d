"""Ledger postings per second with concurrent writers, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres civic_ledger_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic_ledger_bench
    .venv/bin/python manage.py migrate          # the balance trigger comes with it
    .venv/bin/python bench/ledger.py [--writers 32] [--postings 300]

Each writer is its own process (multiprocessing, fork) with its own Django
database connection, opened before the start and kept for the whole run, as a
long-lived app worker keeps it. Writers wait on a barrier, then each posts
``--postings`` transactions through ``payments.ledger.ledger_post``, one source
each, 2 or 3 lines: every posting debits the same clearing account and credits
the same campaign account (and, for two postings in three, the same fees
account). Nothing locks or updates a shared row: a posting only inserts.
DEBUG is off unless the environment says otherwise, as in production (with
DEBUG on, Django keeps a log of every query).

Wall time runs from the barrier to the last writer's report. At the end the
script checks the books in the database: as many transactions and entries as
were posted, the three accounts' balances to the cent, no unbalanced
transaction, no transaction without entries, and all entries of the database
summing to zero. It refuses to run on SQLite or on a database without the
trigger (`migrate` first). Each run uses fresh accounts and sources (a run
id), so the same database serves several runs.

What-ifs, to size a change to ``ledger_post`` (they are NOT the project's
code; the same checks of the books apply to them):

- ``--what-if no-preselect``: the same ORM posting without the look-up before
  the insert (the unique constraint alone catches a repeated source);
- ``--what-if one-statement``: the whole posting as one SQL statement
  (``INSERT .. ON CONFLICT DO NOTHING RETURNING id`` feeding the entries'
  ``INSERT`` in a CTE), one round trip, its own transaction in autocommit;
- ``--server-side-binding``: psycopg server-side parameters with prepared
  statements (Django's ``OPTIONS`` ``server_side_binding`` and
  ``prepare_threshold``), for any of the above.
"""

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import IntegrityError, connection, connections, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from payments.exceptions import LedgerUnbalanced  # noqa: E402
from payments.ledger import Line, account_balance, account_get, ledger_post  # noqa: E402
from payments.models import Account, Entry, LedgerTransaction  # noqa: E402

SOURCE_TYPE = "bench"
KIND = "contribution"


# --- what-ifs (not the project's code) ---------------------------------------


def _refuse_unbalanced(lines: list[Line], currency: str) -> None:
    """The same refusals as ledger_post, before anything is written."""
    if not lines or any(line.amount_cents == 0 for line in lines):
        raise LedgerUnbalanced("a transaction needs lines, none of them zero")
    total = sum(line.amount_cents for line in lines)
    if total != 0:
        raise LedgerUnbalanced(f"the lines sum to {total} cents, not zero")
    if any(line.account.currency != currency for line in lines):
        raise LedgerUnbalanced("every account of a transaction uses its currency")


def post_without_preselect(
    *, kind, source_type, source_id, lines, memo="", currency="EUR"
):
    lines = list(lines)
    _refuse_unbalanced(lines, currency)
    source_id = str(source_id)
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                kind=kind,
                source_type=source_type,
                source_id=source_id,
                memo=memo[:255],
                currency=currency,
            )
            Entry.objects.bulk_create(
                Entry(
                    transaction=txn,
                    account=line.account,
                    amount_cents=line.amount_cents,
                )
                for line in lines
            )
    except IntegrityError:
        existing = LedgerTransaction.objects.get(
            source_type=source_type, source_id=source_id, kind=kind
        )
        return existing, False
    return txn, True


ONE_STATEMENT_SQL = (
    "WITH txn AS ("
    " INSERT INTO payments_ledgertransaction"
    " (kind, source_type, source_id, memo, currency, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (source_type, source_id, kind) DO NOTHING RETURNING id)"
    " INSERT INTO payments_entry (transaction_id, account_id, amount_cents)"
    " SELECT txn.id, line.account_id, line.amount_cents"
    " FROM txn, (VALUES {values}) AS line (account_id, amount_cents)"
    " RETURNING transaction_id"
)


def post_in_one_statement(
    *, kind, source_type, source_id, lines, memo="", currency="EUR"
):
    lines = list(lines)
    _refuse_unbalanced(lines, currency)
    source_id = str(source_id)
    created_at = timezone.now()
    params = [kind, source_type, source_id, memo[:255], currency, created_at]
    for line in lines:
        params += [line.account.pk, line.amount_cents]
    sql = ONE_STATEMENT_SQL.format(
        values=", ".join(["(%s::bigint, %s::bigint)"] * len(lines))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:  # posted before, or by a concurrent writer that committed
        existing = LedgerTransaction.objects.get(
            source_type=source_type, source_id=source_id, kind=kind
        )
        return existing, False
    txn = LedgerTransaction(
        pk=row[0],
        kind=kind,
        source_type=source_type,
        source_id=source_id,
        memo=memo[:255],
        currency=currency,
        created_at=created_at,
    )
    return txn, True


POSTERS = {
    "none": ledger_post,
    "no-preselect": post_without_preselect,
    "one-statement": post_in_one_statement,
}


# --- the run -----------------------------------------------------------------


def amounts(writer: int, index: int) -> tuple[int, int]:
    """(gross, fee) in cents of one posting; no fee for one posting in three."""
    gross = 500 + (writer * 7_919 + index * 104_729) % 99_500
    fee = 0 if index % 3 == 0 else 25 + gross * 14 // 1_000
    return gross, fee


def codes(run: str) -> dict[str, str]:
    return {
        "clearing": f"bench:{run}:clearing",
        "campaign": f"bench:{run}:campaign",
        "fees": f"bench:{run}:fees",
    }


def writer_main(writer, run, postings, post, barrier, results) -> None:
    try:
        accounts = {
            name: Account.objects.get(code=code) for name, code in codes(run).items()
        }  # this also opens the writer's own connection, before the start
        latencies = []
        created_count = 0
        barrier.wait()
        cpu_start = time.process_time()
        for index in range(postings):
            gross, fee = amounts(writer, index)
            lines = [
                Line(accounts["clearing"], gross),
                Line(accounts["campaign"], -(gross - fee)),
            ]
            if fee:
                lines.append(Line(accounts["fees"], -fee))
            start = time.perf_counter()
            _, created = post(
                kind=KIND,
                source_type=SOURCE_TYPE,
                source_id=f"{run}-{writer}-{index}",
                lines=lines,
            )
            latencies.append(time.perf_counter() - start)
            created_count += created
        cpu = time.process_time() - cpu_start
        results.put((writer, latencies, created_count, cpu))
    except BaseException as error:
        results.put((writer, None, repr(error), 0.0))
        raise
    finally:
        connection.close()


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (Linux)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def server_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        found = {"server_version": cursor.fetchone()[0]}
        for name in ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return found


def trigger_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = 'payments_entry_balanced'"
            " AND tgrelid = 'payments_entry'::regclass AND tgenabled <> 'D'"
        )
        return cursor.fetchone() is not None


def statements_per_posting(post, accounts: dict[str, Account], run: str) -> list[str]:
    """The SQL one posting sends (a warm-up posting, counted in the checks)."""
    with CaptureQueriesContext(connection) as captured:
        post(
            kind=KIND,
            source_type=SOURCE_TYPE,
            source_id=f"{run}-warmup",
            lines=[Line(accounts["clearing"], 100), Line(accounts["campaign"], -100)],
        )
    return [query["sql"].split()[0] for query in captured.captured_queries]


def check_books(run, accounts, writers, postings, created) -> dict[str, bool]:
    total = writers * postings
    every = [amounts(w, i) for w in range(writers) for i in range(postings)]
    lines = sum(3 if fee else 2 for _, fee in every)
    gross = sum(gross for gross, _ in every) + 100  # + the warm-up posting
    fees = sum(fee for _, fee in every)
    run_txns = LedgerTransaction.objects.filter(
        source_type=SOURCE_TYPE, source_id__startswith=f"{run}-"
    ).exclude(source_id=f"{run}-warmup")
    unbalanced = (
        Entry.objects.values("transaction")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
    )
    all_entries = Entry.objects.aggregate(total=Sum("amount_cents"))["total"] or 0
    empty = LedgerTransaction.objects.annotate(n=Count("entries")).filter(n=0)
    return {
        "every posting created": created == total,
        f"transactions of the run = {total}": run_txns.count() == total,
        f"entries of the run = {lines}": (
            Entry.objects.filter(transaction__in=run_txns).count() == lines
        ),
        f"clearing balance = {gross}": account_balance(accounts["clearing"]) == gross,
        f"campaign balance = {-(gross - fees)}": (
            account_balance(accounts["campaign"]) == -(gross - fees)
        ),
        f"fees balance = {-fees}": account_balance(accounts["fees"]) == -fees,
        "no unbalanced transaction": not unbalanced.exists(),
        "all entries of the database sum to 0": all_entries == 0,
        "no transaction without entries": not empty.exists(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--postings", type=int, default=300, help="per writer")
    parser.add_argument("--what-if", choices=sorted(POSTERS), default="none")
    parser.add_argument("--server-side-binding", action="store_true")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL: set DATABASE_URL to a dedicated, migrated database")
    if args.server_side_binding:  # before the first connection
        connection.settings_dict["OPTIONS"].update(
            server_side_binding=True, prepare_threshold=1
        )
    if not trigger_installed():
        sys.exit("the payments_entry_balanced trigger is missing or disabled: migrate")

    post = POSTERS[args.what_if]
    run = uuid.uuid4().hex[:8]
    kinds = {
        "clearing": Account.Kind.CLEARING,
        "campaign": Account.Kind.CAMPAIGN,
        "fees": Account.Kind.FEES,
    }
    accounts = {
        name: account_get(code, kind=kinds[name]) for name, code in codes(run).items()
    }
    statements = statements_per_posting(post, accounts, run)
    server = server_settings()
    connections.close_all()  # the writers must not share the parent's socket

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.writers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=writer_main,
            args=(writer, run, args.postings, post, barrier, results),
        )
        for writer in range(args.writers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    ticks_before = cpu_ticks()
    reports = [results.get(timeout=600) for _ in processes]
    wall = time.perf_counter() - started
    ticks_after = cpu_ticks()
    for process in processes:
        process.join(timeout=60)

    failed = [report for report in reports if report[1] is None]
    for writer, _, error, _ in failed:
        print(f"writer {writer} failed: {error}")
    if failed:
        return 1

    total = args.writers * args.postings
    latencies = sorted(value for report in reports for value in report[1])
    created = sum(report[2] for report in reports)
    writers_cpu = sum(report[3] for report in reports)
    cores = os.cpu_count() or 1
    busy = (ticks_after[0] - ticks_before[0]) / max(1, ticks_after[1] - ticks_before[1])
    machine_cpu = busy * cores * wall

    print(
        f"PostgreSQL {server['server_version']}: "
        f"synchronous_commit={server['synchronous_commit']}, fsync={server['fsync']}, "
        f"wal_sync_method={server['wal_sync_method']}, "
        f"commit_delay={server['commit_delay']}; {cores} cores; "
        f"DEBUG={settings.DEBUG}"
    )
    print(
        f"posting: {'ledger_post' if args.what_if == 'none' else args.what_if}"
        f"{', server-side binding' if args.server_side_binding else ''}; "
        f"it sends {', '.join(statements)}"
    )
    print(f"writers (processes): {args.writers}, postings per writer: {args.postings}")
    print(f"postings: {total} ({created} created), wall: {wall:.2f} s")
    print(f"postings/s: {total / wall:,.0f}")
    print(
        "latency per posting: "
        f"p50 {percentile(latencies, 0.50) * 1e3:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1e3:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, "
        f"max {latencies[-1] * 1e3:.1f} ms"
    )
    print(
        f"CPU: machine {busy:.0%} busy; per posting {machine_cpu / total * 1e3:.2f} ms,"
        f" of which writers (Python, Django, psycopg) "
        f"{writers_cpu / total * 1e3:.2f} ms, "
        f"the rest (PostgreSQL, kernel) {(machine_cpu - writers_cpu) / total * 1e3:.2f}"
        " ms"
    )

    checks = check_books(run, accounts, args.writers, args.postings, created)
    for name, ok in checks.items():
        print(f"check {name}: {'ok' if ok else 'FAILED'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
