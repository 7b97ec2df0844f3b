"""Full-text search over document metadata and attachment text, one interface for both databases.

Both backends index the same thing: ``search_key``, the document's metadata and attachment text folded by
``egov.core.text.fold`` (lower case, no diacritics, đ→d), so ``quyet dinh``, ``Quyết định`` and
``QUYẾT ĐỊNH`` match alike on SQLite and PostgreSQL.

* **SQLite** (embedded mode): an FTS5 table ``documents_fts`` (rowid = 2·id for incoming, 2·id+1 for
  outgoing), kept in step by a ``post_save`` receiver inside the saving transaction; ranking by ``bm25``.
* **PostgreSQL**: a GIN index on ``to_tsvector('simple', search_key)`` of each table (migration 0004);
  ranking by ``ts_rank``. Folding happens in Python rather than with ``unaccent()`` in SQL because
  ``unaccent`` is not immutable and so cannot back an index expression; the result is the same.

Every word must match; the last one also matches as a prefix (``quyet di`` finds ``quyết định``).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, FloatField, Model, QuerySet
from django.db.models.expressions import RawSQL

from egov.core.text import fold
from egov.documents.models import IncomingDocument, OutgoingDocument

_WORD = re.compile(r"[a-z0-9]+")
MAX_TERMS = 12


def terms(query: str) -> list[str]:
    return _WORD.findall(fold(query))[:MAX_TERMS]


def _rowid(doc: Model) -> int:
    assert doc.pk is not None
    return doc.pk * 2 + (0 if isinstance(doc, IncomingDocument) else 1)


def index(doc: IncomingDocument | OutgoingDocument) -> None:
    """Refresh the SQLite FTS row of ``doc`` (PostgreSQL indexes the column itself)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM documents_fts WHERE rowid = %s", [_rowid(doc)])
        if doc.search_key:
            cursor.execute(
                "INSERT INTO documents_fts(rowid, body) VALUES (%s, %s)", [_rowid(doc), doc.search_key]
            )


def unindex(doc: IncomingDocument | OutgoingDocument) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM documents_fts WHERE rowid = %s", [_rowid(doc)])


def apply(qs: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Narrow ``qs`` (incoming or outgoing documents, already permission-filtered) to the matches of
    ``query``, annotated with ``rank`` (higher is better) and ordered by it, newest first on ties."""
    words = terms(query)
    if not words:
        return qs.none()
    table = qs.model._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " & ".join([*words[:-1], f"{words[-1]}:*"])
        vector = f"to_tsvector('simple', {table}.search_key)"
        qs = qs.alias(
            fts_match=RawSQL(  # noqa: S611 - only the table name is interpolated; the query is a parameter
                f"{vector} @@ to_tsquery('simple', %s)", [tsquery], output_field=BooleanField()
            )
        ).filter(fts_match=True)
        rank_sql = f"ts_rank({vector}, to_tsquery('simple', %s))"
        qs = qs.annotate(rank=RawSQL(rank_sql, [tsquery], output_field=FloatField()))  # noqa: S611
    else:
        match = " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
        odd = 0 if qs.model is IncomingDocument else 1
        qs = qs.annotate(
            rank=RawSQL(  # noqa: S611 - table name only; the match expression is a parameter
                "SELECT -bm25(documents_fts) FROM documents_fts WHERE documents_fts MATCH %s "  # noqa: S608
                f"AND documents_fts.rowid = {table}.id * 2 + {odd}",
                [match.strip()],
                output_field=FloatField(),
            )
        ).filter(rank__isnull=False)
    order = "-arrival_date" if qs.model is IncomingDocument else "-created_at"
    return qs.order_by("-rank", order, "-id")


def reindex_all() -> int:
    """Rebuild the SQLite FTS table from the documents (``egov manage reindex_documents``)."""
    count = 0
    if connection.vendor != "sqlite":
        return count
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM documents_fts")
    model: Any
    for model in (IncomingDocument, OutgoingDocument):
        for doc in model.objects.only("id", "search_key").iterator(chunk_size=2000):
            index(doc)
            count += 1
    return count
