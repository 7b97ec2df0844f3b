"""PostgreSQL only: a trigram index so that ``search_key LIKE '%ha noi%'`` uses an index on large trees."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS directory_agency_search_trgm "
            "ON directory_agency USING gin (search_key gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_agency_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial"), ("core", "0002_postgres_extensions")]

    operations = [migrations.RunPython(forwards, backwards)]
