# A pledge's campaign and backer are indexed by Pledge.Meta's composite
# indexes, which lead with them: their own indexes only cost each insert.
# Only the indexes are dropped: AlterField alone would also drop and re-add
# (and re-validate) the foreign keys.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {
    "campaigns_pledge_backer_id_78d05355": "backer_id",
    "campaigns_pledge_campaign_id_c1a92a85": "campaign_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_pledge_recent_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "campaigns_pledge" ("{column}")',
                )
                for name, column in DROPPED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="pledge",
                    name="backer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pledges",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="pledge",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pledges",
                        to="campaigns.campaign",
                    ),
                ),
            ],
        ),
    ]
