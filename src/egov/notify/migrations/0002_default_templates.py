"""Seed the Vietnamese default templates (one per event and channel). Existing rows are left alone, so an
administrator's edits survive; reversing removes nothing."""

from django.db import migrations

from egov.notify import defaults


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    defaults.seed(apps.get_model("notify", "Template"))


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
