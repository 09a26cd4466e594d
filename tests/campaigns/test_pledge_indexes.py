"""The indexes a pledge writes are the ones something reads: each foreign key
of a pledge, its payment and its claim is still found through an index (the
composite indexes that lead with it, or a partial index where it is set), so
deleting a user or a campaign's page never scans the tables."""

import pytest
from django.db import connection

from campaigns.models import Pledge
from payments.models import Payment
from rewards.models import RewardClaim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "queryset, index",
    [
        (lambda: Pledge.objects.filter(campaign_id=1), "campaigns_p_campaig_"),
        (lambda: Pledge.objects.filter(backer_id=1), "campaigns_p_backer__73d92a_idx"),
        (
            lambda: RewardClaim.objects.filter(tier_id=1),
            "rewards_rew_tier_id_693bb5_idx",
        ),
        (
            lambda: RewardClaim.objects.filter(fulfilled_by_id__in=[1, 2]),
            "claim_fulfilled_by_set",
        ),
        (
            lambda: Payment.objects.filter(recorded_by_id__in=[1, 2]),
            "payment_recorded_by_set",
        ),
        (
            lambda: Payment.objects.filter(confirmed_by_id__in=[1, 2]),
            "payment_confirmed_by_set",
        ),
    ],
)
def test_each_foreign_key_of_a_pledge_is_found_through_an_index(queryset, index):
    plan = _plan(queryset().order_by())
    assert index in plan and "Seq Scan" not in plan, plan


def test_a_card_pledge_writes_no_index_that_only_repeats_another():
    indexes = {}
    with connection.cursor() as cursor:
        for model in (Pledge, Payment, RewardClaim):
            table = model._meta.db_table
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s", [table]
            )
            indexes[table] = {row[0] for row in cursor.fetchall()}
    assert len(indexes["campaigns_pledge"]) == 5
    assert len(indexes["payments_payment"]) == 7
    assert len(indexes["rewards_rewardclaim"]) == 4
    for dropped in (
        "campaigns_pledge_backer_id_78d05355",
        "campaigns_pledge_campaign_id_c1a92a85",
        "rewards_rewardclaim_tier_id_63bab0d7",
        "payments_payment_recorded_by_id_11b293af",
        "payments_payment_confirmed_by_id_ae7bb4fe",
    ):
        assert dropped not in set().union(*indexes.values())
