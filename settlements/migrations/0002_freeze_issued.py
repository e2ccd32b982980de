"""An issued settlement never changes, whatever code writes to the database.

- An issued month keeps its month, state and charge cutoff; it cannot be deleted.
- An issued or paid settlement keeps its partner, month and numbers, and never goes back to draft;
  a paid one keeps its payment (time, reference, ledger transaction). It cannot be deleted.
- Lines of a settlement that is not a draft cannot be added, changed or deleted.
Who generated, issued or paid may still be cleared (SET_NULL when a user is deleted).
Enforced with triggers on PostgreSQL and on SQLite (the no-services demo).
"""

from django.db import migrations

PERIOD_FROZEN = ("month", "state", "charge_cutoff", "issued_at", "generated_at")
SETTLEMENT_FROZEN = (
    "tenant_id",
    "period_id",
    "card_seconds",
    "runs",
    "charge_count",
    "gross_fen",
    "fee_fen",
    "voucher_fen",
    "net_fen",
    "computed_at",
)
PAYMENT_FROZEN = ("state", "paid_at", "bank_reference", "payout_transaction_id")


def _changed(columns, distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


PG_UP = f"""
CREATE OR REPLACE FUNCTION settlements_refuse(message text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlements_period_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state <> 'issued' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM settlements_refuse('settlement month ' || OLD.month || ' is issued and cannot be deleted');
    END IF;
    IF {_changed(PERIOD_FROZEN, "IS DISTINCT FROM")} THEN
        PERFORM settlements_refuse('settlement month ' || OLD.month || ' is issued and cannot change');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlements_settlement_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state = 'draft' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM settlements_refuse('settlement ' || OLD.id || ' is issued and cannot be deleted');
    END IF;
    IF NEW.state = 'draft' OR {_changed(SETTLEMENT_FROZEN, "IS DISTINCT FROM")} THEN
        PERFORM settlements_refuse('settlement ' || OLD.id || ' is issued and cannot change');
    END IF;
    IF OLD.state = 'paid' AND ({_changed(PAYMENT_FROZEN, "IS DISTINCT FROM")}) THEN
        PERFORM settlements_refuse('settlement ' || OLD.id || ' is paid and cannot change');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlements_line_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF EXISTS (SELECT 1 FROM settlements_settlement WHERE id = OLD.settlement_id AND state <> 'draft') THEN
            PERFORM settlements_refuse('lines of issued settlement ' || OLD.settlement_id || ' cannot change');
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF EXISTS (SELECT 1 FROM settlements_settlement WHERE id = NEW.settlement_id AND state <> 'draft') THEN
        PERFORM settlements_refuse('lines of issued settlement ' || NEW.settlement_id || ' cannot change');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settlements_period_frozen BEFORE UPDATE OR DELETE ON settlements_settlementperiod
    FOR EACH ROW EXECUTE FUNCTION settlements_period_frozen();
CREATE TRIGGER settlements_settlement_frozen BEFORE UPDATE OR DELETE ON settlements_settlement
    FOR EACH ROW EXECUTE FUNCTION settlements_settlement_frozen();
CREATE TRIGGER settlements_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON settlements_settlementline
    FOR EACH ROW EXECUTE FUNCTION settlements_line_frozen();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS settlements_period_frozen ON settlements_settlementperiod;
DROP TRIGGER IF EXISTS settlements_settlement_frozen ON settlements_settlement;
DROP TRIGGER IF EXISTS settlements_line_frozen ON settlements_settlementline;
DROP FUNCTION IF EXISTS settlements_period_frozen();
DROP FUNCTION IF EXISTS settlements_settlement_frozen();
DROP FUNCTION IF EXISTS settlements_line_frozen();
DROP FUNCTION IF EXISTS settlements_refuse(text);
"""


def _sqlite_trigger(name: str, when: str, table: str, condition: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, 'an issued settlement cannot change ({name})'); END;"
    )


_LINE_FROZEN = "(SELECT state FROM settlements_settlement WHERE id = {row}.settlement_id) <> 'draft'"
SQLITE_TRIGGERS = {
    "settlements_period_update": (
        "UPDATE",
        "settlements_settlementperiod",
        f"OLD.state = 'issued' AND ({_changed(PERIOD_FROZEN, 'IS NOT')})",
    ),
    "settlements_period_delete": ("DELETE", "settlements_settlementperiod", "OLD.state = 'issued'"),
    "settlements_settlement_update": (
        "UPDATE",
        "settlements_settlement",
        f"OLD.state <> 'draft' AND (NEW.state = 'draft' OR {_changed(SETTLEMENT_FROZEN, 'IS NOT')})",
    ),
    "settlements_settlement_paid": (
        "UPDATE",
        "settlements_settlement",
        f"OLD.state = 'paid' AND ({_changed(PAYMENT_FROZEN, 'IS NOT')})",
    ),
    "settlements_settlement_delete": ("DELETE", "settlements_settlement", "OLD.state <> 'draft'"),
    "settlements_line_insert": ("INSERT", "settlements_settlementline", _LINE_FROZEN.format(row="NEW")),
    "settlements_line_update": (
        "UPDATE",
        "settlements_settlementline",
        f"{_LINE_FROZEN.format(row='OLD')} OR {_LINE_FROZEN.format(row='NEW')}",
    ),
    "settlements_line_delete": ("DELETE", "settlements_settlementline", _LINE_FROZEN.format(row="OLD")),
}


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for name, (when, table, condition) in SQLITE_TRIGGERS.items():
            schema_editor.execute(_sqlite_trigger(name, when, table, condition))


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
