"""Full-text search structures (see ``egov.documents.search``): FTS5 on SQLite, GIN indexes on PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(body, tokenize = 'unicode61')"
        )
    elif vendor == "postgresql":
        for table in ("documents_incomingdocument", "documents_outgoingdocument"):
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_fts ON {table} USING gin (to_tsvector('simple', search_key))"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS documents_fts")
    elif vendor == "postgresql":
        for table in ("documents_incomingdocument", "documents_outgoingdocument"):
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_fts")


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_types")]

    operations = [migrations.RunPython(forwards, backwards)]
