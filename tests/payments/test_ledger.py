"""The double-entry ledger: balanced postings, once per source, sums as balances."""

import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from payments.exceptions import LedgerUnbalanced
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account, Entry, LedgerTransaction

pytestmark = pytest.mark.django_db

Kind = Account.Kind


@pytest.fixture
def accounts():
    return {
        "clearing": account_get("clearing:stripe", kind=Kind.CLEARING),
        "campaign": account_get("campaign:42", kind=Kind.CAMPAIGN),
        "fees": account_get("fees:stripe", kind=Kind.FEES),
        "platform": account_get("platform", kind=Kind.PLATFORM),
    }


def _nothing_written() -> bool:
    return not LedgerTransaction.objects.exists() and not Entry.objects.exists()


# --- accounts ----------------------------------------------------------------


def test_account_get_creates_the_account_once_and_then_returns_it():
    first = account_get("campaign:7", kind=Kind.CAMPAIGN, name="Campaign 7")
    again = account_get("campaign:7", kind=Kind.PROJECT_FUND, name="Other name")

    assert again.pk == first.pk
    assert (again.kind, again.name, again.currency) == ("campaign", "Campaign 7", "EUR")
    assert Account.objects.count() == 1


def test_account_get_names_the_account_after_its_code_by_default():
    assert account_get("fees:stripe", kind=Kind.FEES).name == "fees:stripe"


# --- posting -----------------------------------------------------------------


def test_balanced_posting_writes_one_transaction_with_its_signed_entries(accounts):
    txn, created = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=17,
        lines=[
            Line(accounts["clearing"], 2_500),
            Line(accounts["campaign"], -2_415),
            Line(accounts["fees"], -85),
        ],
        memo="Contribution 17",
    )

    assert created is True
    assert (txn.kind, txn.source_type, txn.source_id) == (
        "contribution",
        "payment",
        "17",
    )
    assert (txn.memo, txn.currency) == ("Contribution 17", "EUR")
    assert LedgerTransaction.objects.count() == 1
    assert sorted(txn.entries.values_list("account__code", "amount_cents")) == [
        ("campaign:42", -2_415),
        ("clearing:stripe", 2_500),
        ("fees:stripe", -85),
    ]


def test_balances_are_the_sums_of_the_entries_of_every_posting(accounts):
    clearing, campaign, fees, platform = (
        accounts["clearing"],
        accounts["campaign"],
        accounts["fees"],
        accounts["platform"],
    )
    ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=1,
        lines=[Line(clearing, 2_500), Line(campaign, -2_415), Line(fees, -85)],
    )
    ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=2,
        lines=[Line(clearing, 1_000), Line(campaign, -966), Line(fees, -34)],
    )
    ledger_post(
        kind="platform_fee",
        source_type="payment",
        source_id=2,
        lines=[Line(campaign, 50), Line(platform, -50)],
    )
    ledger_post(
        kind="refund",
        source_type="refund",
        source_id=9,
        lines=[Line(campaign, 700), Line(clearing, -700)],
    )

    assert account_balance(clearing) == 2_800
    assert account_balance(campaign) == -2_631
    assert account_balance(fees) == -119
    assert account_balance(platform) == -50
    # By code too, and an account without entries holds nothing.
    assert account_balance("campaign:42") == -2_631
    assert account_balance(account_get("refunds", kind=Kind.REFUNDS)) == 0
    assert Entry.objects.aggregate(total=Sum("amount_cents"))["total"] == 0
    assert LedgerTransaction.objects.count() == 4


def test_memo_is_cut_to_the_column_length(accounts):
    txn, _ = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=3,
        lines=[Line(accounts["clearing"], 10), Line(accounts["campaign"], -10)],
        memo="x" * 300,
    )

    txn.refresh_from_db()
    assert txn.memo == "x" * 255


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ([2_500, -2_400], "the lines sum to 100 cents, not zero"),
        ([2_500], "the lines sum to 2500 cents, not zero"),
        ([100, 0, -100], "a transaction needs lines, none of them zero"),
        ([], "a transaction needs lines, none of them zero"),
    ],
    ids=["off-by-100", "one-line", "a-zero-line", "no-lines"],
)
def test_unbalanced_or_zero_posting_is_refused_and_writes_nothing(
    accounts, amounts, message
):
    order = [accounts["clearing"], accounts["campaign"], accounts["fees"]]
    lines = [
        Line(account, cents) for account, cents in zip(order, amounts, strict=False)
    ]

    with pytest.raises(LedgerUnbalanced, match=f"^{message}$"):
        ledger_post(
            kind="contribution", source_type="payment", source_id=5, lines=lines
        )

    assert _nothing_written()


def test_posting_the_same_source_twice_returns_the_first_and_writes_nothing_more(
    accounts,
):
    clearing, campaign = accounts["clearing"], accounts["campaign"]
    first, first_created = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=11,
        lines=[Line(clearing, 1_000), Line(campaign, -1_000)],
    )

    # Other amounts and an int/str twin of the id: still the same event.
    again, again_created = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id="11",
        lines=[Line(clearing, 5_000), Line(campaign, -5_000)],
        memo="retry",
    )

    assert (first_created, again_created) == (True, False)
    assert again.pk == first.pk
    assert again.memo == ""
    assert LedgerTransaction.objects.count() == 1
    assert Entry.objects.count() == 2
    assert account_balance(clearing) == 1_000
    assert account_balance(campaign) == -1_000


def test_same_source_id_with_another_kind_or_source_type_is_another_posting(accounts):
    lines = [Line(accounts["clearing"], 300), Line(accounts["campaign"], -300)]

    results = [
        ledger_post(
            kind="contribution", source_type="payment", source_id=4, lines=lines
        ),
        ledger_post(kind="refund", source_type="payment", source_id=4, lines=lines),
        ledger_post(
            kind="contribution", source_type="offline", source_id=4, lines=lines
        ),
    ]

    assert [created for _, created in results] == [True, True, True]
    assert len({txn.pk for txn, _ in results}) == 3
    assert account_balance(accounts["clearing"]) == 900


def test_mixed_currency_posting_is_refused_and_writes_nothing(accounts):
    usd = account_get("clearing:usd", kind=Kind.CLEARING, currency="USD")

    with pytest.raises(LedgerUnbalanced, match="uses its currency"):
        ledger_post(
            kind="contribution",
            source_type="payment",
            source_id=6,
            lines=[Line(usd, 1_000), Line(accounts["campaign"], -1_000)],
        )
    with pytest.raises(LedgerUnbalanced, match="uses its currency"):
        ledger_post(
            kind="contribution",
            source_type="payment",
            source_id=7,
            lines=[Line(usd, 1_000), Line(accounts["campaign"], -1_000)],
            currency="USD",
        )

    assert _nothing_written()


def test_posting_in_another_currency_needs_every_account_in_that_currency():
    usd_clearing = account_get("clearing:usd", kind=Kind.CLEARING, currency="USD")
    usd_campaign = account_get("campaign:usd", kind=Kind.CAMPAIGN, currency="USD")
    lines = [Line(usd_clearing, 1_000), Line(usd_campaign, -1_000)]

    with pytest.raises(LedgerUnbalanced, match="uses its currency"):
        ledger_post(
            kind="contribution", source_type="payment", source_id=8, lines=lines
        )
    txn, created = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=8,
        lines=lines,
        currency="USD",
    )

    assert created is True
    assert txn.currency == "USD"
    assert account_balance(usd_campaign) == -1_000


# --- the database's own check (PostgreSQL) -----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_refuses_unbalanced_entries_written_directly_at_commit(accounts):
    with (
        pytest.raises(IntegrityError, match="does not balance") as refused,
        transaction.atomic(),
    ):
        txn = LedgerTransaction.objects.create(
            kind="contribution", source_type="payment", source_id="99"
        )
        Entry.objects.create(
            transaction=txn, account=accounts["clearing"], amount_cents=2_500
        )
        Entry.objects.create(
            transaction=txn, account=accounts["campaign"], amount_cents=-2_400
        )
        # Deferred: the rows are there until the commit checks them.
        assert Entry.objects.filter(transaction=txn).count() == 2

    assert refused.value.__cause__.sqlstate == "23514"  # check_violation
    assert _nothing_written()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_accepts_balanced_entries_written_directly(accounts):
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(
            kind="contribution", source_type="payment", source_id="98"
        )
        Entry.objects.create(
            transaction=txn, account=accounts["clearing"], amount_cents=2_500
        )
        Entry.objects.create(
            transaction=txn, account=accounts["campaign"], amount_cents=-2_500
        )

    assert Entry.objects.count() == 2
    assert account_balance(accounts["campaign"]) == -2_500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_refuses_deleting_one_side_of_a_transaction(accounts):
    txn, _ = ledger_post(
        kind="contribution",
        source_type="payment",
        source_id=97,
        lines=[Line(accounts["clearing"], 400), Line(accounts["campaign"], -400)],
    )

    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
    ):
        Entry.objects.filter(transaction=txn, amount_cents=400).delete()

    assert account_balance(accounts["clearing"]) == 400
    assert Entry.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_refuses_moving_an_entry_to_another_transaction(accounts):
    lines = [Line(accounts["clearing"], 100), Line(accounts["campaign"], -100)]
    first, _ = ledger_post(kind="k", source_type="payment", source_id=1, lines=lines)
    second, _ = ledger_post(kind="k", source_type="payment", source_id=2, lines=lines)

    with (
        pytest.raises(IntegrityError, match=f"transaction {first.pk} does not balance"),
        transaction.atomic(),
    ):
        # B gains A's debit and an extra credit, so B balances; A no longer does.
        Entry.objects.filter(transaction=first, amount_cents=100).update(
            transaction=second
        )
        Entry.objects.create(
            transaction=second, account=accounts["campaign"], amount_cents=-100
        )

    assert list(
        first.entries.values_list("amount_cents", flat=True).order_by("pk")
    ) == [100, -100]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_source_posted_from_ten_threads_at_once_is_posted_once(accounts):
    clearing, campaign = accounts["clearing"], accounts["campaign"]
    writers = 10
    barrier = threading.Barrier(writers)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            txn, created = ledger_post(
                kind="contribution",
                source_type="payment",
                source_id=123,
                lines=[Line(clearing, 1_999), Line(campaign, -1_999)],
            )
            with lock:
                results.append((txn.pk, created))
        except Exception as error:  # reported by the assertions below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == writers
    assert Counter(created for _, created in results) == {True: 1, False: writers - 1}
    assert len({pk for pk, _ in results}) == 1
    assert LedgerTransaction.objects.count() == 1
    assert Entry.objects.count() == 2
    assert account_balance(clearing) == 1_999
    assert account_balance(campaign) == -1_999


# --- invariants after random sequences of operations --------------------------

ACCOUNT_CODES = ["clearing", "campaign:1", "campaign:2", "fees", "platform"]
KINDS = ["contribution", "refund"]
SOURCE_TYPES = ["payment", "offline"]

sources = st.tuples(
    st.sampled_from(KINDS), st.sampled_from(SOURCE_TYPES), st.integers(0, 30)
)
amounts = st.integers(1, 1_000_000)


@st.composite
def balanced_lines(draw):
    """2-4 distinct or repeated accounts, non-zero amounts summing to zero."""
    count = draw(st.integers(2, 4))
    codes = draw(
        st.lists(st.sampled_from(ACCOUNT_CODES), min_size=count, max_size=count)
    )
    head = draw(
        st.lists(
            st.builds(
                lambda cents, sign: cents * sign, amounts, st.sampled_from([1, -1])
            ),
            min_size=count - 1,
            max_size=count - 1,
        )
    )
    last = -sum(head)
    if last == 0:  # the others already balance: nudge the first one
        head[0] += 1 if head[0] > 0 else -1
        last = -sum(head)
    return list(zip(codes, [*head, last], strict=True))


@st.composite
def unbalanced_lines(draw):
    """Lines that must be refused: off by some cents, with a zero line, or none."""
    shape = draw(st.sampled_from(["off", "zero-line", "empty"]))
    if shape == "empty":
        return []
    lines = draw(balanced_lines())
    if shape == "off":
        index = draw(st.integers(0, len(lines) - 1))
        code, cents = lines[index]
        # Off by a few cents (the line may even become zero: refused either way).
        lines[index] = (code, cents + draw(st.integers(-500, 500).filter(bool)))
        return lines
    index = draw(st.integers(0, len(lines)))
    lines.insert(index, (draw(st.sampled_from(ACCOUNT_CODES)), 0))
    return lines


class LedgerMachine(RuleBasedStateMachine):
    """Random postings, reposts and refused postings against a model in Python.

    Each example runs in a transaction rolled back at teardown, so the examples
    share the test's database without seeing each other.
    """

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.accounts = {
            code: account_get(code, kind=Kind.CLEARING) for code in ACCOUNT_CODES
        }
        self.expected_balance = dict.fromkeys(ACCOUNT_CODES, 0)
        self.posted: dict[tuple[str, str, str], int] = {}  # source -> txn pk
        self.expected_entries = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _lines(self, pairs):
        return [Line(self.accounts[code], cents) for code, cents in pairs]

    def _counts(self) -> tuple[int, int]:
        return LedgerTransaction.objects.count(), Entry.objects.count()

    @initialize()
    def start_empty(self):
        assert self._counts() == (0, 0)

    @rule(source=sources, pairs=balanced_lines())
    def post(self, source, pairs):
        kind, source_type, source_id = source
        key = (kind, source_type, str(source_id))
        txn, created = ledger_post(
            kind=kind,
            source_type=source_type,
            source_id=source_id,
            lines=self._lines(pairs),
        )
        if key in self.posted:  # drawn again by chance: a repost
            assert created is False
            assert txn.pk == self.posted[key]
            return
        assert created is True
        self.posted[key] = txn.pk
        self.expected_entries += len(pairs)
        for code, cents in pairs:
            self.expected_balance[code] += cents

    @precondition(lambda self: self.posted)
    @rule(data=st.data(), pairs=balanced_lines(), as_text=st.booleans())
    def repost_an_earlier_source(self, data, pairs, as_text):
        key = data.draw(st.sampled_from(sorted(self.posted)))
        kind, source_type, source_id = key
        before = self._counts()

        txn, created = ledger_post(
            kind=kind,
            source_type=source_type,
            source_id=source_id if as_text else int(source_id),
            lines=self._lines(pairs),
        )

        assert created is False
        assert txn.pk == self.posted[key]
        assert self._counts() == before

    @rule(source=sources, pairs=unbalanced_lines())
    def attempt_an_unbalanced_posting(self, source, pairs):
        kind, source_type, source_id = source
        before = self._counts()

        try:
            ledger_post(
                kind=kind,
                source_type=source_type,
                source_id=source_id,
                lines=self._lines(pairs),
            )
        except LedgerUnbalanced:
            pass
        else:
            raise AssertionError(f"unbalanced lines were accepted: {pairs}")

        assert self._counts() == before

    @invariant()
    def books_match_the_operations(self):
        unbalanced = (
            Entry.objects.values("transaction")
            .annotate(total=Sum("amount_cents"))
            .exclude(total=0)
        )
        assert list(unbalanced) == []
        for code, expected in self.expected_balance.items():
            assert account_balance(self.accounts[code]) == expected, code
        assert Entry.objects.count() == self.expected_entries
        # As many transactions as distinct sources, and exactly those.
        assert sorted(LedgerTransaction.objects.values_list("pk", flat=True)) == sorted(
            self.posted.values()
        )


def test_books_stay_balanced_and_match_a_model_after_random_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=hypothesis_settings(
            max_examples=60, stateful_step_count=10, deadline=None
        ),
    )
