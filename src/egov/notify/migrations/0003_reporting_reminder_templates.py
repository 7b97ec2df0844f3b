"""Seed the templates of events added after 0002 (``reporting.reminder``); existing rows are left alone."""

from django.db import migrations

from egov.notify import defaults


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    defaults.seed(apps.get_model("notify", "Template"))


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_default_templates")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
