"""On PostgreSQL the database itself keeps the book append-only and balanced:

- triggers refuse every UPDATE and DELETE of ledger_transaction and ledger_entry rows (TRUNCATE,
  which only a test database flush uses, is a statement of its own and not refused);
- a deferred constraint trigger refuses, at commit, a transaction whose entries do not sum to
  zero.

SQLite has no such triggers (its test flush deletes rows); the Python models refuse there.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % of % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_transaction_append_only
        BEFORE UPDATE OR DELETE ON ledger_transaction
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE TRIGGER ledger_entry_append_only
        BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger AS $$
    DECLARE
        total numeric;
    BEGIN
        SELECT COALESCE(SUM(amount), 0) INTO total
            FROM ledger_entry WHERE transaction_id = NEW.transaction_id;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % does not balance (sum %)',
                NEW.transaction_id, total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_entry_balanced
        AFTER INSERT ON ledger_entry
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;",
    "DROP FUNCTION IF EXISTS ledger_check_balanced();",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;",
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_transaction;",
    "DROP FUNCTION IF EXISTS ledger_refuse_change();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)  # no placeholders: % is literal

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
