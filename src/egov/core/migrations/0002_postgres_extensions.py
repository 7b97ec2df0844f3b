"""PostgreSQL only: the unaccent and pg_trgm extensions (accent-insensitive, substring search with an index).

On SQLite these operations do nothing; the search keys stored by egov (``egov.core.text.fold``) keep both
databases behaving the same.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [UnaccentExtension(), TrigramExtension()]
