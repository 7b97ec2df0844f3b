"""Gap-free numbering per register per year (số đến, số văn bản đi).

The counter row of (register, year) is incremented with ``UPDATE … RETURNING``, which locks it for the
rest of the caller's transaction: two clerks registering at the same moment queue on that row, so numbers
are never duplicated, and because the number is taken inside the transaction that saves the document, a
failed save rolls the counter back too — no gaps. On SQLite, egov's ``BEGIN IMMEDIATE`` transactions
serialise writers anyway. :func:`number_incoming` takes an arrival number and writes it into the document
with one statement (the registration's hot path).
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from egov.documents.models import IncomingDocument, Register, RegisterCounter


def take_next_number(register: Register, year: int) -> int:
    """The next number of ``register`` for ``year``: one ``UPDATE … RETURNING`` that also locks the counter
    row until the caller's transaction ends. Take it as late as possible in that transaction (after the
    checks, files and inserts), so that concurrent clerks of the same register wait only for the
    transaction's last statements, and before the audit row (the audit chain's lock comes last)."""
    if not connection.in_atomic_block:
        raise RuntimeError("take_next_number() must run inside the transaction that saves the document")
    table = RegisterCounter._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 - the table name only
                "WHERE register_id = %s AND year = %s RETURNING last_number",
                [register.pk, year],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():  # savepoint: a concurrent first number of the year may win the insert
                RegisterCounter.objects.create(register=register, year=year, last_number=1)
            return 1
        except IntegrityError:
            pass  # the other transaction committed its row: take the next number from it
    raise RuntimeError(f"register counter {register.pk}/{year} could not be taken")


def number_incoming(doc: IncomingDocument, register: Register, year: int) -> int:
    """Take the next arrival number of ``register`` for ``year`` and write it into ``doc`` (already
    inserted, without a number) — on PostgreSQL in ONE statement (``WITH n AS (UPDATE counter … RETURNING)
    UPDATE document … FROM n``), so that the counter row is locked one round trip later than with
    :func:`take_next_number` followed by an update of the document: concurrent clerks of one register queue
    for the rest of the transaction only (timeline event, audit row, commit). Sets ``doc.arrival_year`` and
    ``doc.arrival_number``. The document's save signals do not fire for these two fields (no receiver
    watches them; ``updated_at`` was never written by this update either)."""
    if not connection.in_atomic_block:
        raise RuntimeError("number_incoming() must run inside the transaction that saves the document")
    number = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_NUMBER_INCOMING_SQL, [register.pk, year, year, doc.pk])
            row = cursor.fetchone()
        number = int(row[0]) if row is not None else None
    if number is None:  # SQLite, or the first number of the year (no counter row yet)
        number = take_next_number(register, year)
        table = IncomingDocument._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET arrival_year = %s, arrival_number = %s WHERE id = %s",  # noqa: S608
                [year, number, doc.pk],
            )
    doc.arrival_year, doc.arrival_number = year, number
    return number


_NUMBER_INCOMING_SQL = (
    f"WITH n AS (UPDATE {RegisterCounter._meta.db_table} SET last_number = last_number + 1"  # noqa: S608
    " WHERE register_id = %s AND year = %s RETURNING last_number)"
    f" UPDATE {IncomingDocument._meta.db_table} SET arrival_year = %s, arrival_number = n.last_number"
    " FROM n WHERE id = %s RETURNING n.last_number"
)


def format_number(number: int) -> str:
    """Nghị định 30: numbers below 10 are written with a leading zero (``05``)."""
    return f"{number:02d}"
