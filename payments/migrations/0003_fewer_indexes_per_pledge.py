# Who recorded and who confirmed an offline payment: indexed only where set,
# so that a card payment (inserted without them) no longer pays for two
# indexes. Only the indexes change: AlterField alone would also drop and
# re-add (and re-validate) the foreign keys.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {
    "payments_payment_confirmed_by_id_ae7bb4fe": "confirmed_by_id",
    "payments_payment_recorded_by_id_11b293af": "recorded_by_id",
}


def _user_fk(name):
    return migrations.AlterField(
        model_name="payment",
        name=name,
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_ledger_balanced_trigger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "payments_payment" ("{column}")',
                )
                for name, column in DROPPED.items()
            ],
            state_operations=[_user_fk("confirmed_by"), _user_fk("recorded_by")],
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("recorded_by__isnull", False)),
                fields=["recorded_by"],
                name="payment_recorded_by_set",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("confirmed_by__isnull", False)),
                fields=["confirmed_by"],
                name="payment_confirmed_by_set",
            ),
        ),
    ]
