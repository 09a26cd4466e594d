"""Posting to the books and reading balances; the only writer of ledger rows."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from .exceptions import LedgerUnbalanced
from .models import Account, Entry, LedgerTransaction


@dataclass(frozen=True)
class Line:
    account: Account
    amount_cents: int  # + debit, - credit


def account_get(
    code: str, *, kind: str, name: str = "", currency: str = "EUR"
) -> Account:
    """The account with this code, created on first use (safe under concurrency)."""
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                code=code, kind=kind, name=name or code, currency=currency
            )
    except IntegrityError:
        return Account.objects.get(code=code)


def ledger_post(
    *,
    kind: str,
    source_type: str,
    source_id,
    lines: Iterable[Line],
    memo: str = "",
    currency: str = "EUR",
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction for a money event, exactly once.

    Returns ``(transaction, created)``: posting the same ``(source_type,
    source_id, kind)`` again returns the existing transaction and writes
    nothing. Raises LedgerUnbalanced if the lines do not sum to zero, a line is
    zero, or the accounts are in another currency; nothing is written then.
    Inserts only: no account row is locked or updated.
    """
    lines = list(lines)
    if not lines or any(line.amount_cents == 0 for line in lines):
        raise LedgerUnbalanced("a transaction needs lines, none of them zero")
    total = sum(line.amount_cents for line in lines)
    if total != 0:
        raise LedgerUnbalanced(f"the lines sum to {total} cents, not zero")
    if any(line.account.currency != currency for line in lines):
        raise LedgerUnbalanced("every account of a transaction uses its currency")
    source_id = str(source_id)
    if connection.vendor == "postgresql":
        return _post_one_statement(kind, source_type, source_id, lines, memo, currency)
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
        # Already posted (the unique source key): this is the retry of an event.
        return _existing(kind, source_type, source_id), False
    return txn, True


# One round trip: the transaction row and its entries in a single statement;
# ON CONFLICT makes a repeated source write nothing. The deferred trigger still
# checks the balance at commit.
_POST_SQL = (
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


def _post_one_statement(kind, source_type, source_id, lines, memo, currency):
    created_at = timezone.now()
    params = [kind, source_type, source_id, memo[:255], currency, created_at]
    for line in lines:
        params += [line.account.pk, line.amount_cents]
    sql = _POST_SQL.format(values=", ".join(["(%s::bigint, %s::bigint)"] * len(lines)))
    # One statement: it fails or writes whole, so no savepoint is needed.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return _existing(kind, source_type, source_id), False
    txn = LedgerTransaction(
        pk=row[0],
        kind=kind,
        source_type=source_type,
        source_id=source_id,
        memo=memo[:255],
        currency=currency,
        created_at=created_at,
    )
    txn._state.adding = False
    txn._state.db = connection.alias
    return txn, True


def _existing(kind: str, source_type: str, source_id: str) -> LedgerTransaction:
    return LedgerTransaction.objects.get(
        source_type=source_type, source_id=source_id, kind=kind
    )


def account_balance(account: Account | str) -> int:
    """Debits minus credits, in cents (a sum of entries, never a stored total)."""
    filters = (
        {"account__code": account} if isinstance(account, str) else {"account": account}
    )
    return (
        Entry.objects.filter(**filters).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
