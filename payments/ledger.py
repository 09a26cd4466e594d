"""Posting to the books and reading balances; the only writer of ledger rows."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

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
    existing = LedgerTransaction.objects.filter(
        source_type=source_type, source_id=source_id, kind=kind
    ).first()
    if existing is not None:
        return existing, False
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
        # The same event was posted by someone else a moment ago.
        return LedgerTransaction.objects.get(
            source_type=source_type, source_id=source_id, kind=kind
        ), False
    return txn, True


def account_balance(account: Account | str) -> int:
    """Debits minus credits, in cents (a sum of entries, never a stored total)."""
    filters = (
        {"account__code": account} if isinstance(account, str) else {"account": account}
    )
    return (
        Entry.objects.filter(**filters).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )


def account_credit_balance(account: Account | str) -> int:
    """What the account holds for its owner: credits minus debits."""
    return -account_balance(account)
