"""Ledger rules the database enforces whatever code writes to it.

- A transaction's legs sum to zero: a deferred constraint trigger checks each transaction once, at
  commit (a per-transaction flag keeps a batch with many legs from re-summing for each leg).
- Transactions and legs are append-only: UPDATE and DELETE are refused.
On SQLite (the no-services demo) only the append-only rule is enforced in the database; the
posting service checks balance itself on every database.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION billing_leg_check_balanced() RETURNS trigger AS $$
DECLARE
    flag text := 'billing.balanced_' || NEW.transaction_id;
    total bigint;
BEGIN
    IF current_setting(flag, true) = 'y' THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM billing_leg WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config(flag, 'y', true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER billing_leg_balanced
    AFTER INSERT ON billing_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_leg_check_balanced();

CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_leg_append_only BEFORE UPDATE OR DELETE ON billing_leg
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_transaction_append_only BEFORE UPDATE OR DELETE ON billing_transaction
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS billing_leg_balanced ON billing_leg;
DROP TRIGGER IF EXISTS billing_leg_append_only ON billing_leg;
DROP TRIGGER IF EXISTS billing_transaction_append_only ON billing_transaction;
DROP FUNCTION IF EXISTS billing_leg_check_balanced();
DROP FUNCTION IF EXISTS billing_refuse_change();
"""
SQLITE_TABLES = ("billing_leg", "billing_transaction")


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for table in SQLITE_TABLES:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only ({op} refused)'); END;"
                )


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for table in SQLITE_TABLES:
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]
    operations = [migrations.RunPython(up, down)]
