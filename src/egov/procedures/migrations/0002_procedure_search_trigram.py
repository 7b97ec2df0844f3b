"""PostgreSQL only: a trigram index so that ``search_key LIKE '%khai sinh%'`` uses an index."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS procedures_procedure_search_trgm "
            "ON procedures_procedure USING gin (search_key gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS procedures_procedure_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial"), ("core", "0002_postgres_extensions")]

    operations = [migrations.RunPython(forwards, backwards)]
