"""Full-text search over document metadata and attachment text, one interface for both databases.

Both backends index the same thing: ``search_key``, the document's metadata and attachment text folded by
``egov.core.text.fold`` (lower case, no diacritics, đ→d), so ``quyet dinh``, ``Quyết định`` and
``QUYẾT ĐỊNH`` match alike on SQLite and PostgreSQL.

* **SQLite** (embedded mode): an FTS5 table ``documents_fts`` (rowid = 2·id for incoming, 2·id+1 for
  outgoing), kept in step by a ``post_save`` receiver inside the saving transaction; ranking by ``bm25``.
* **PostgreSQL**: a stored column ``search_vector`` = ``to_tsvector('simple', search_key)`` (generated,
  migration 0005) with a GIN index on each table. Folding happens in Python rather than with ``unaccent()``
  in SQL because ``unaccent`` is not immutable and so cannot back an index or a generated column; the
  result is the same.

Every word must match; the last one also matches as a prefix (``quyet di`` finds ``quyết định``), but a
single word of one or two letters must match whole (see :func:`_query_parts`). Matches come newest first.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, FloatField, Model, QuerySet, TextField
from django.db.models.expressions import RawSQL

from egov.core.text import fold
from egov.documents.models import IncomingDocument, OutgoingDocument

_WORD = re.compile(r"[a-z0-9]+")
MAX_TERMS = 12
MIN_PREFIX = 3  # a last word this long or longer also matches as a prefix


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


def _query_parts(words: list[str]) -> tuple[list[str], str]:
    """(words matched whole, a last word matched as a prefix or ``""``). A last word of fewer than
    :data:`MIN_PREFIX` letters is a prefix only after other words, and then it does not drive the index: on
    PostgreSQL it is checked on the rows the other words found (``ch:*`` would expand to every word starting
    with ``ch``); alone it must match a whole word (``qd``, ``15``)."""
    *whole, last = words
    if len(last) >= MIN_PREFIX or whole:
        return whole, last
    return [last], ""


def apply(qs: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Narrow ``qs`` (incoming or outgoing documents, already permission-filtered) to the matches of
    ``query``, newest first (every word must match, so the newest matches are what a clerk looks for; ranking
    every match of a frequent word cost a second on a million documents). Each row carries ``rank``, higher
    is better (``ts_rank`` / ``bm25``), computed for the rows returned."""
    words = terms(query)
    if not words:
        return qs.none()
    whole, prefix = _query_parts(words)
    table = qs.model._meta.db_table
    order = "-arrival_date" if qs.model is IncomingDocument else "-created_at"
    if connection.vendor == "postgresql":
        indexed = [*whole, f"{prefix}:*"] if len(prefix) >= MIN_PREFIX else whole
        tsquery = " & ".join(indexed)
        short_prefix = prefix if prefix and len(prefix) < MIN_PREFIX else ""
        index_query = " & ".join(whole) if whole else tsquery
        walk = _dense_among_newest(qs, order, tsquery, short_prefix)
        qs = _pg_match(qs, tsquery, index_query, short_prefix, walk=walk)
        rank_sql = f"ts_rank({table}.search_vector, to_tsquery('simple', %s))"
        qs = qs.annotate(rank=RawSQL(rank_sql, [tsquery], output_field=FloatField()))  # noqa: S611
    else:
        match = " ".join([*(f'"{w}"' for w in whole), *([f'"{prefix}"*'] if prefix else [])])
        odd = 0 if qs.model is IncomingDocument else 1
        qs = qs.annotate(
            rank=RawSQL(  # noqa: S611 - table name only; the match expression is a parameter
                "SELECT -bm25(documents_fts) FROM documents_fts WHERE documents_fts MATCH %s "  # noqa: S608
                f"AND documents_fts.rowid = {table}.id * 2 + {odd}",
                [match],
                output_field=FloatField(),
            )
        ).filter(rank__isnull=False)
    return qs.order_by(order, "-id")


# PostgreSQL plan choice. Matches come newest first, so there are two ways to find the first page: walk the
# visible documents newest first (the ``(agency, -arrival_date, -id)`` index) testing each one, which is fast
# when matches are dense; or collect every match from the GIN index and sort them, which is fast when they
# are rare. The planner cannot tell which: it multiplies the frequencies of the words, as if independent, so
# a phrase such as "thủ tục hành chính" (words that come together) looks a thousand times rarer than it is and
# gets the GIN plan, which then intersects posting lists of hundreds of thousands of rows. So a bounded probe
# decides: among the newest PROBE_ROWS visible documents, count the matches (at most PAGE); walk when the
# first PAGE matches are expected within WALK_ROWS documents, else use the index.
PROBE_ROWS = 2000
PAGE = 20
WALK_ROWS = 12_000


def _pg_match(
    qs: QuerySet[Any], tsquery: str, index_query: str, short_prefix: str, *, walk: bool
) -> QuerySet[Any]:
    """Rows of ``qs`` matching ``tsquery``. ``index_query`` (the whole words) is what the GIN index looks up;
    the prefix of the last word is checked on the rows found: a prefix (``chinh:*``) makes GIN gather the
    rows of every word it starts, while whole words let it skip through the rarest one's list."""
    table = qs.model._meta.db_table
    test = f"{table}.search_vector @@ to_tsquery('simple', %s)"
    recheck = f"COALESCE({test}, false)"  # the same test in a form no index serves
    if walk:  # walk the date index newest first, testing each row
        condition, params = recheck, [tsquery]
    elif index_query == tsquery:
        condition, params = test, [tsquery]
    else:
        condition, params = f"{test} AND {recheck}", [index_query, tsquery]
    qs = qs.alias(
        fts_match=RawSQL(condition, params, output_field=BooleanField())  # noqa: S611 - table name only
    ).filter(fts_match=True)
    if short_prefix:  # checked on the rows the other words found, never through the index
        qs = qs.alias(
            fts_prefix=RawSQL(  # noqa: S611 - table name only; the pattern is a parameter
                f"(' ' || {table}.search_key) LIKE %s", [f"% {short_prefix}%"], output_field=BooleanField()
            )
        ).filter(fts_prefix=True)
    return qs


def _dense_among_newest(visible: QuerySet[Any], order: str, tsquery: str, short_prefix: str) -> bool:
    table = visible.model._meta.db_table
    newest = (
        visible.annotate(fts_vector=RawSQL(f"{table}.search_vector", [], output_field=TextField()))  # noqa: S611
        .order_by(order, "-id")
        .values("fts_vector", "search_key")[:PROBE_ROWS]
    )
    sql, params = newest.query.sql_with_params()
    condition = "newest.fts_vector @@ to_tsquery('simple', %s)"
    extra: list[Any] = [tsquery]
    if short_prefix:
        condition += " AND (' ' || newest.search_key) LIKE %s"
        extra.append(f"% {short_prefix}%")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS newest WHERE {condition} LIMIT %s) AS hits",  # noqa: S608
            [*params, *extra, PAGE],
        )
        row = cursor.fetchone()
    hits = int(row[0]) if row else 0
    # hits of PAGE: the first page is among the newest PROBE_ROWS; else expect it within PAGE/hits times that.
    return hits > 0 and PAGE * PROBE_ROWS / hits <= WALK_ROWS


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
