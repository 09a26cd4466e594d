from django.db import migrations

BALANCED_SQL = """
CREATE OR REPLACE FUNCTION payments_entry_balanced() RETURNS trigger AS $$
DECLARE
    txn bigint;
    total bigint;
BEGIN
    -- An UPDATE that moves an entry unbalances two transactions: check both.
    FOREACH txn IN ARRAY ARRAY[
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.transaction_id END,
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.transaction_id END
    ] LOOP
        CONTINUE WHEN txn IS NULL;
        SELECT COALESCE(SUM(amount_cents), 0) INTO total
          FROM payments_entry WHERE transaction_id = txn;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % does not balance (% cents)', txn, total
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON payments_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_entry_balanced();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS payments_entry_balanced ON payments_entry;
DROP FUNCTION IF EXISTS payments_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_SQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    """On PostgreSQL the database itself refuses an unbalanced transaction at commit."""

    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
