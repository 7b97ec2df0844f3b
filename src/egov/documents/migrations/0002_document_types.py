"""Seed the document types of Nghị định 30/2020 (Điều 7, Phụ lục III)."""

from django.db import migrations

from egov.documents.doctypes import ensure_document_types


def forwards(apps, schema_editor):
    ensure_document_types(apps.get_model("documents", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
