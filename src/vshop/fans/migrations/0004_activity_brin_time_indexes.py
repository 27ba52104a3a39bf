"""On PostgreSQL, the time indexes of the activity tables become BRIN indexes (same names).

Raw events and hour rows are written in time order and only the pruning job looks them up by
time; a BRIN index is a few pages instead of a B-tree entry per row, so every flush writes one
index less. SQLite keeps its B-trees (the model's ``Index``)."""

from django.db import migrations

INDEXES = (
    ("activity_at", "fans_activityevent", "at"),
    ("activity_hour_hour", "fans_activityhour", "hour"),
)


def to_brin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON {table} USING brin ({column})")


def to_btree(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON {table} ({column})")


class Migration(migrations.Migration):
    dependencies = [("fans", "0003_shopfan_lean_updates")]

    operations = [migrations.RunPython(to_brin, to_btree)]
