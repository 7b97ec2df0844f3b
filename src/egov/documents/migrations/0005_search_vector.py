"""PostgreSQL: a stored ``search_vector`` column (``to_tsvector('simple', search_key)``, generated) with its
GIN index replaces the GIN index on the expression (migration 0003), so that matching never re-parses
``search_key``. SQLite keeps its FTS5 table. On a large table this rewrites it (about 80 s per million
documents on the standard machine)."""

from django.db import migrations

TABLES = ("documents_incomingdocument", "documents_outgoingdocument")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_key)) STORED"
        )
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {table}_vector ON {table} USING gin (search_vector)")
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_fts")
        # Statistics of the new column now (not at the next autovacuum): without them the planner takes
        # every word for a rare one and collects all matches instead of reading the newest first.
        schema_editor.execute(f"ANALYZE {table}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_fts ON {table} USING gin (to_tsvector('simple', search_key))"
        )
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_vector")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_revocation")]

    operations = [migrations.RunPython(forwards, backwards)]
