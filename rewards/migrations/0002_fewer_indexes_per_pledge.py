# A claim's tier is indexed by (tier, status); who fulfilled it only where
# set (a claim is inserted without). Only the indexes change: AlterField alone
# would also drop and re-add (and re-validate) the foreign keys.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {
    "rewards_rewardclaim_tier_id_63bab0d7": "tier_id",
    "rewards_rewardclaim_fulfilled_by_id_7bc06fd4": "fulfilled_by_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "rewards_rewardclaim" ("{column}")',
                )
                for name, column in DROPPED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="rewardclaim",
                    name="fulfilled_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="rewardclaim",
                    name="tier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="claims",
                        to="rewards.rewardtier",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="rewardclaim",
            index=models.Index(
                condition=models.Q(("fulfilled_by__isnull", False)),
                fields=["fulfilled_by"],
                name="claim_fulfilled_by_set",
            ),
        ),
    ]
