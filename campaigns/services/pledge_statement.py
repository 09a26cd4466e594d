"""A card pledge written in one SQL statement on PostgreSQL.

``pledge_create`` with the ORM sends seven statements for a pledge with a
reward (BEGIN, the campaign, the payment, the pledge, the tier's conditional
UPDATE, the claim, COMMIT), and the Python that builds each of them costs
more than PostgreSQL's work. Here the same rows are written by one
data-modifying CTE, run in autocommit: one round trip, and the statement is
its own transaction. It is prepared once per database session (``_run``), so
PostgreSQL does not parse and plan it for each pledge.

Each step reads the rows of the step before, so a refused pledge writes
nothing: the campaign row is locked ``FOR SHARE`` (a close takes it ``FOR
UPDATE``: it waits for the pledges being written, and a pledge that waited
for a close sees the campaign's new status) and reserves the pledge's id;
only an open campaign lets the tier's conditional UPDATE run; only an open
campaign and, with a tier, a unit taken let the payment be inserted; the
pledge and the claim follow from it. The tier's row is locked by the UPDATE
until the statement commits; the check constraint ``tier_never_oversold``
still backs the counter. A pledge and its payment write no event at their
creation (their rows are its record): two rows fewer per pledge, and a tenth
less PostgreSQL CPU per pledge (bench/README.md).

The columns not given per pledge get their model default, read from the
models when the statement is first built, so the rows are those
``Model.objects.create`` writes (``tests/campaigns/test_pledge_statement.py``
compares the two paths).
"""

import re
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from psycopg import sql as pg_sql

from payments.models import Payment
from rewards.models import RewardClaim, RewardTier
from rewards.services import claim_shipping_fields

from ..models import Campaign, Pledge


@dataclass(frozen=True)
class Written:
    """What the statement found and wrote. ``campaign`` is None when there is
    no such campaign; ``pledge`` is None when nothing was written (the
    campaign is not open, or the tier had no unit left)."""

    campaign: Campaign | None
    is_open: bool
    pledge: Pledge | None


# The statement. Table and column names and the constants come from the
# models (``_statement``); every value of the pledge is a parameter.
_STATEMENT = """
WITH campaign AS (
    SELECT {campaign_columns},
        nextval(pg_get_serial_sequence({pledge_table}, 'id')) AS pledge_id
    FROM {campaign_table} WHERE id = %(campaign_id)s FOR SHARE
), open AS (
    SELECT id, title, currency, pledge_id FROM campaign
    WHERE status = {live} AND starts_at <= %(now)s AND %(now)s < deadline
), {go},
new_payment AS ({payment}),
new_pledge AS ({pledge}){claim}
SELECT {row_columns}, campaign.pledge_id, EXISTS (SELECT FROM open),
    (SELECT id FROM new_payment), {claim_id}
FROM campaign
"""
# rewards.services.reward_claim's conditional UPDATE, run only for an open
# campaign; without a unit taken, nothing follows.
_TAKEN = """taken AS (
    UPDATE {tier_table} SET claimed = claimed + 1
    WHERE id = %(tier_id)s AND campaign_id = %(campaign_id)s
        AND (quantity IS NULL OR claimed < quantity)
        AND EXISTS (SELECT FROM open)
    RETURNING id
), go AS (SELECT open.* FROM open, taken)"""
_INSERT = "INSERT INTO {table} ({columns}) SELECT {values} FROM {source} RETURNING id"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(value) -> str:
    # Doubled percent signs: the statement is run with named parameters.
    return pg_sql.Literal(value).as_string().replace("%", "%%")


def _default(field) -> str:
    """The SQL literal of what the ORM writes in ``field`` when not told."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        raise ValueError(f"{field} is a timestamp: give it")
    if field.has_default() and callable(field.default):
        raise ValueError(f"{field} has a computed default: give it")
    return _literal(field.get_db_prep_save(field.get_default(), connection))


def _insert(model, given: dict[str, str], *, source: str) -> str:
    """``INSERT ... SELECT`` of one row of ``model`` per row of ``source``:
    ``given`` (attname -> SQL) for some columns, the default for the rest,
    the primary key from its sequence unless given."""
    given = dict(given)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given:
            value = given.pop(field.attname)
        elif field.primary_key:
            continue
        else:
            value = _default(field)
        columns.append(_quote(field.column))
        values.append(value)
    if given:
        raise ValueError(f"{model.__name__} has no field {', '.join(given)}")
    return _INSERT.format(
        table=_quote(model._meta.db_table),
        columns=", ".join(columns),
        values=", ".join(values),
        source=source,
    )


def _campaign_columns(prefix: str = "") -> str:
    return ", ".join(prefix + _quote(f.column) for f in Campaign._meta.concrete_fields)


@cache
def _statement(with_tier: bool) -> str:
    """The statement for a pledge with or without a reward (built once)."""
    now = "%(now)s"
    claim = _insert(
        RewardClaim,
        {
            "tier_id": "taken.id",
            "pledge_id": "new_pledge.id",
            **{name: f"%({name})s" for name in claim_shipping_fields(None)},
            "created_at": now,
            "updated_at": now,
        },
        source="taken, new_pledge",
    )
    return _STATEMENT.format(
        campaign_columns=_campaign_columns(),
        pledge_table=_literal(Pledge._meta.db_table),
        campaign_table=_quote(Campaign._meta.db_table),
        live=_literal(Campaign.Status.LIVE),
        go=(
            _TAKEN.format(tier_table=_quote(RewardTier._meta.db_table))
            if with_tier
            else "go AS (SELECT * FROM open)"
        ),
        payment=_insert(
            Payment,
            {
                "purpose": _literal("pledge"),
                "purpose_id": "go.pledge_id::text",
                "amount_cents": "%(amount_cents)s",
                "currency": "go.currency",
                "credit_account": "%(credit_account)s",
                # pledge_create's description, cut as payment_create cuts it.
                "description": "left(go.title || ' · pledge ' || go.pledge_id, 255)",
                "payer_email": "%(email)s",
                "created_at": now,
                "updated_at": now,
            },
            source="go",
        ),
        pledge=_insert(
            Pledge,
            {
                "id": "go.pledge_id",
                "campaign_id": "go.id",
                "backer_id": "%(backer_id)s",
                "backer_name": "%(backer_name)s",
                "backer_email": "%(email)s",
                "amount_cents": "%(amount_cents)s",
                "anonymous": "%(anonymous)s",
                "payment_id": "new_payment.id",
                "donor_tax_code": "%(donor_tax_code)s",
                "donor_address": "%(donor_address)s",
                "language": "%(language)s",
                "created_at": now,
                "updated_at": now,
            },
            source="go, new_payment",
        ),
        claim=f",\nnew_claim AS ({claim})" if with_tier else "",
        row_columns=_campaign_columns("campaign."),
        claim_id="(SELECT id FROM new_claim)" if with_tier else "NULL::bigint",
    )


# The database sessions (psycopg connections) where the statement is prepared.
_PREPARED = {True: weakref.WeakSet(), False: weakref.WeakSet()}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@cache
def _prepared(with_tier: bool) -> tuple[str, str]:
    """``PREPARE`` of the statement, and the ``EXECUTE`` that runs it with
    the same named parameters."""
    name = "pledge_card_with_tier" if with_tier else "pledge_card"
    order: list[str] = []

    def positional(match):
        if match.group(1) is None:
            return "%"  # PREPARE is sent without parameters
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    text = _PLACEHOLDER.sub(positional, _statement(with_tier))
    arguments = ", ".join(f"%({key})s" for key in order)
    return f"PREPARE {name} AS {text}", f"EXECUTE {name}({arguments})"


def _run(db, cursor, with_tier: bool, params: dict) -> None:
    """Run the statement, prepared once per database session: PostgreSQL
    then neither parses nor plans it again. Not behind a transaction pooler
    (``DISABLE_SERVER_SIDE_CURSORS``, see config/settings.py), whose sessions
    are not ours: there the statement is sent whole every time."""
    if db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        cursor.execute(_statement(with_tier), params)
        return
    prepare, execute = _prepared(with_tier)
    if db.connection not in _PREPARED[with_tier]:
        # Not transactional: a rollback does not take it back.
        cursor.execute(prepare)
        _PREPARED[with_tier].add(db.connection)
    cursor.execute(execute, params)


def card_pledge_insert(
    *,
    campaign_pk: int,
    pledge: Pledge,
    tier: RewardTier | None,
    shipping: dict,
    credit_account: str,
) -> Written:
    """Write ``pledge`` (unsaved, its fields set), its card payment and the
    claim of ``tier``, in one statement; nothing if the
    campaign is not open or ``tier`` has no unit left.

    Inside a caller's transaction it runs in a savepoint, as the ORM path's
    ``atomic()`` does; otherwise in autocommit, its own transaction.
    """
    now = timezone.now()
    params = {
        "campaign_id": campaign_pk,
        "now": now,
        "amount_cents": pledge.amount_cents,
        "credit_account": credit_account,
        "email": pledge.backer_email,
        "backer_id": pledge.backer_id,
        "backer_name": pledge.backer_name,
        "anonymous": pledge.anonymous,
        "donor_tax_code": pledge.donor_tax_code,
        "donor_address": pledge.donor_address,
        "language": pledge.language,
    }
    ship = claim_shipping_fields(shipping)
    if tier is not None:
        params.update(tier_id=tier.pk, **ship)
    # The connection itself, not the ``connection`` proxy: each attribute
    # read through the proxy costs a context-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    block = transaction.atomic() if db.in_atomic_block else nullcontext()
    with block, db.cursor() as cursor:
        _run(db, cursor, tier is not None, params)
        row = cursor.fetchone()
    if row is None:
        return Written(campaign=None, is_open=False, pledge=None)
    fields = Campaign._meta.concrete_fields
    found = Campaign.from_db(db.alias, [f.attname for f in fields], row[: len(fields)])
    pledge_id, is_open, payment_id, claim_id = row[len(fields) :]
    if payment_id is None:
        return Written(campaign=found, is_open=is_open, pledge=None)
    pledge.pk = pledge_id
    pledge.campaign = found
    pledge.created_at = pledge.updated_at = now
    pledge.payment = _built(
        db,
        Payment,
        {
            "id": payment_id,
            "purpose": "pledge",
            "purpose_id": str(pledge_id),
            "amount_cents": pledge.amount_cents,
            "currency": found.currency,
            "credit_account": credit_account,
            "description": f"{found.title} · pledge {pledge_id}"[:255],
            "payer_email": pledge.backer_email,
            "created_at": now,
            "updated_at": now,
        },
    )
    _saved(db, pledge)
    if tier is not None:
        claim = _built(
            db,
            RewardClaim,
            {
                "id": claim_id,
                "tier_id": tier.pk,
                "pledge_id": pledge_id,
                **ship,
                "created_at": now,
                "updated_at": now,
            },
        )
        # As RewardClaim.objects.create(tier=tier, pledge=pledge) would: the
        # claim's tier and pledge are those objects, the pledge's
        # reward_claim is the new claim.
        claim.tier = tier
        claim.pledge = pledge
    return Written(campaign=found, is_open=True, pledge=pledge)


@cache
def _layout(model) -> tuple[list[str], dict]:
    """``model``'s concrete fields (attnames, in order) and the value the ORM
    gives each one when not told (``_default`` writes the same), except
    those with a computed default."""
    names = [field.attname for field in model._meta.concrete_fields]
    defaults = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not (field.has_default() and callable(field.default))
    }
    return names, defaults


def _built(db, model, values: dict):
    """An instance of a row just written, from the values given and the
    defaults for the rest, the way the ORM builds one it read (positionally,
    without one keyword per field). Every field must be given or defaulted."""
    names, defaults = _layout(model)
    return model.from_db(
        db.alias,
        names,
        [values[name] if name in values else defaults[name] for name in names],
    )


def _saved(db, obj):
    """Mark an instance built from known values as a row of the database."""
    obj._state.adding = False
    obj._state.db = db.alias
    return obj
