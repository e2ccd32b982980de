"""`billing_post()`: one round trip for a whole posting on PostgreSQL.

The function does what `billing.services.ledger.post()` does in Python on other databases, in the
same order: return the existing transaction for a known idempotency key; lock the accounts in
ascending id order; refuse (returning the shortfall) if a non-signed account would go negative;
insert the transaction, its legs, the balance updates and the audit row. The caller passes legs already netted
per account and sorted by id; the deferred zero-sum trigger still checks the result at commit.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION billing_post(
    p_kind text, p_key text, p_tenant bigint, p_memo text, p_actor bigint, p_reverses bigint,
    p_accounts bigint[], p_amounts bigint[], p_actor_label text, p_ip inet, p_after jsonb
) RETURNS TABLE (txn_id bigint, txn_created_at timestamptz, created boolean,
                 short_account bigint, short_kind text, shortfall bigint) AS $$
DECLARE
    v_id bigint;
    v_at timestamptz;
    v_short record;
BEGIN
    SELECT t.id, t.created_at INTO v_id, v_at FROM billing_transaction t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        RETURN QUERY SELECT v_id, v_at, false, NULL::bigint, NULL::text, NULL::bigint;
        RETURN;
    END IF;
    PERFORM 1 FROM billing_account a WHERE a.id = ANY(p_accounts) ORDER BY a.id FOR UPDATE;
    SELECT a.id, a.kind, -(a.balance_fen + l.amount) AS missing INTO v_short
      FROM billing_account a JOIN unnest(p_accounts, p_amounts) AS l(account, amount) ON l.account = a.id
     WHERE NOT a.allow_negative AND a.balance_fen + l.amount < 0
     ORDER BY a.id LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::timestamptz, false, v_short.id, v_short.kind::text, v_short.missing;
        RETURN;
    END IF;
    INSERT INTO billing_transaction (kind, idempotency_key, tenant_id, memo, reverses_id, created_by_id, created_at)
         VALUES (p_kind, p_key, p_tenant, p_memo, p_reverses, p_actor, now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, created_at INTO v_id, v_at;
    IF v_id IS NULL THEN  -- the same key committed by a concurrent posting meanwhile
        SELECT t.id, t.created_at INTO v_id, v_at FROM billing_transaction t WHERE t.idempotency_key = p_key;
        RETURN QUERY SELECT v_id, v_at, false, NULL::bigint, NULL::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO billing_leg (transaction_id, account_id, amount_fen)
         SELECT v_id, l.account, l.amount FROM unnest(p_accounts, p_amounts) AS l(account, amount);
    UPDATE billing_account a SET balance_fen = a.balance_fen + l.amount
      FROM unnest(p_accounts, p_amounts) AS l(account, amount) WHERE a.id = l.account;
    INSERT INTO audit_auditentry (tenant_id, actor_id, actor_label, action, object_type, object_id, object_repr,
                                  "before", "after", ip, created_at)
         VALUES (p_tenant, p_actor, p_actor_label, 'ledger.post', 'billing.transaction', v_id::text,
                 left(p_kind || ' #' || v_id, 255), NULL, p_after, p_ip, now());
    RETURN QUERY SELECT v_id, v_at, true, NULL::bigint, NULL::text, NULL::bigint;
END;
$$ LANGUAGE plpgsql;
"""
PG_DOWN = (
    "DROP FUNCTION IF EXISTS billing_post(text, text, bigint, text, bigint, bigint, bigint[], bigint[], text, inet, jsonb);"
)


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_ledger_rules"), ("audit", "0002_append_only")]
    operations = [migrations.RunPython(up, down)]
