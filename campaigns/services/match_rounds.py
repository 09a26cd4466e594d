"""Match rounds: a sponsor's pool shared among campaigns when the round closes."""

from fractions import Fraction

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import services as payments
from payments.ledger import Line, account_balance, account_get, ledger_post
from payments.models import Account

from .. import matching
from ..exceptions import MatchRoundError
from ..models import Campaign, MatchAllocation, MatchRound, Pledge
from ..page_cache import campaign_changed
from .closing import campaign_sweep

C = Campaign.Status


def match_round_create(
    *,
    community,
    title: str,
    sponsor: str,
    pool_cents: int,
    mode: str,
    campaigns,
    recorded_by,
    factor_percent: int = 100,
    cap_per_pledge_cents: int | None = None,
    cap_per_campaign_cents: int | None = None,
    description: str = "",
    reference: str = "",
) -> MatchRound:
    """A round and the sponsor's transfer of its pool, recorded by one staff
    member; the pool counts once a second operator confirms the transfer."""
    if pool_cents <= 0:
        raise MatchRoundError(_("The pool must be more than zero."))
    if mode not in MatchRound.Mode.values:
        raise MatchRoundError(_("Unknown match mode."))
    campaigns = list(campaigns)
    if not campaigns:
        raise MatchRoundError(_("Choose the campaigns the round matches."))
    if any(c.community_id != community.pk for c in campaigns):
        raise MatchRoundError(_("A round matches campaigns of its own community."))
    for cap in (cap_per_pledge_cents, cap_per_campaign_cents):
        if cap is not None and cap <= 0:
            raise MatchRoundError(_("A cap must be more than zero."))
    with transaction.atomic():
        round_ = MatchRound.objects.create(
            community=community,
            title=title,
            sponsor=sponsor,
            description=description,
            pool_cents=pool_cents,
            mode=mode,
            factor_percent=factor_percent,
            cap_per_pledge_cents=cap_per_pledge_cents,
            cap_per_campaign_cents=cap_per_campaign_cents,
        )
        round_.campaigns.set(campaigns)
        for campaign in campaigns:
            campaign_changed(campaign.pk)
        payments.offline_record(
            purpose="match_pool",
            purpose_id=round_.pk,
            amount_cents=pool_cents,
            credit_account=round_.account_code,
            method="bank",
            recorded_by=recorded_by,
            reference=reference,
            description=f"{sponsor} · {title}"[:255],
        )
    return round_


def match_pool_funded_cents(round_: MatchRound) -> int:
    return -account_balance(round_.account_code)


def _contributions(round_: MatchRound) -> dict[int, dict[str, int]]:
    """Paid pledges of the round's funded campaigns, summed per distinct backer."""
    result: dict[int, dict[str, int]] = {}
    campaigns = round_.campaigns.filter(status__in=[C.SUCCEEDED, C.ENDED])
    for campaign in campaigns:
        result[campaign.pk] = {}
    pledges = Pledge.objects.filter(
        campaign__in=campaigns, status=Pledge.Status.PAID
    ).values_list("campaign_id", "backer_id", "backer_email", "pk", "amount_cents")
    for campaign_id, backer_id, email, pk, cents in pledges:
        key = (
            f"user:{backer_id}"
            if backer_id
            else (f"email:{email.lower()}" if email else f"pledge:{pk}")
        )
        backers = result[campaign_id]
        backers[key] = backers.get(key, 0) + cents
    return result


def match_round_preview(round_: MatchRound) -> list[matching.Allocation]:
    """What the round would give now (the same computation as the close)."""
    contributions = _contributions(round_)
    pool = min(round_.pool_cents, max(match_pool_funded_cents(round_), 0))
    if round_.mode == MatchRound.Mode.QUADRATIC:
        return matching.explain_quadratic(
            pool_cents=pool,
            contributions=contributions,
            cap_per_campaign_cents=round_.cap_per_campaign_cents,
        )
    pledges = {key: list(backers.values()) for key, backers in contributions.items()}
    # 1:1 caps apply to each pledge as made, not to a backer's sum.
    for campaign_id in pledges:
        pledges[campaign_id] = list(
            Pledge.objects.filter(
                campaign_id=campaign_id, status=Pledge.Status.PAID
            ).values_list("amount_cents", flat=True)
        )
    return matching.explain_ratio(
        pool_cents=pool,
        pledges=pledges,
        factor=Fraction(round_.factor_percent, 100),
        cap_per_pledge_cents=round_.cap_per_pledge_cents,
        cap_per_campaign_cents=round_.cap_per_campaign_cents,
    )


def match_round_close(*, round_: MatchRound) -> MatchRound:
    """Allocate the pool to the round's funded campaigns, once.

    Refused while one of its campaigns is still open or charging, or before
    the sponsor's transfer is confirmed. The allocations are posted in one
    ledger transaction from the pool to the campaigns, then each campaign's
    account is swept to its project's fund.
    """
    with transaction.atomic():
        locked = MatchRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status == MatchRound.Status.CLOSED:
            return locked
        if locked.campaigns.filter(status__in=[C.DRAFT, C.LIVE, C.CHARGING]).exists():
            raise MatchRoundError(
                _("Every campaign of the round must be closed before it allocates.")
            )
        if match_pool_funded_cents(locked) <= 0:
            raise MatchRoundError(_("The sponsor's transfer is not confirmed yet."))
        allocations = match_round_preview(locked)
        contributions = _contributions(locked)
        pool_account = account_get(
            locked.account_code, kind=Account.Kind.MATCH_POOL, name=locked.title[:200]
        )
        lines = []
        for allocation in allocations:
            campaign = Campaign.objects.get(pk=allocation.key)
            backers = contributions.get(allocation.key, {})
            MatchAllocation.objects.create(
                round=locked,
                campaign=campaign,
                backers=len(backers),
                pledged_cents=sum(backers.values()),
                amount_cents=allocation.cents,
                capped=allocation.capped,
                weight=str(allocation.weight)[:60],
            )
            if allocation.cents:
                account = account_get(
                    campaign.account_code,
                    kind=Account.Kind.CAMPAIGN,
                    name=campaign.title[:200],
                )
                lines.append(Line(account, -allocation.cents))
        total = -sum(line.amount_cents for line in lines)
        if total:
            lines.append(Line(pool_account, total))
            ledger_post(
                kind="match",
                source_type="match_round",
                source_id=locked.pk,
                lines=lines,
                memo=f"match round {locked.pk}: {locked.title}"[:255],
                currency=locked.currency,
            )
        for campaign in locked.campaigns.all():
            campaign_changed(campaign.pk)
        locked.status = MatchRound.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
    for campaign in locked.campaigns.filter(status__in=[C.SUCCEEDED, C.ENDED]):
        campaign_sweep(campaign=campaign)
    return locked
