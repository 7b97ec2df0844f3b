"""Gap-free numbering per register per year (số đến, số văn bản đi).

The counter row of (register, year) is incremented with ``UPDATE … RETURNING``, which locks it for the
rest of the caller's transaction: two clerks registering at the same moment queue on that row, so numbers
are never duplicated, and because the number is taken inside the transaction that saves the document, a
failed save rolls the counter back too — no gaps. On SQLite, egov's ``BEGIN IMMEDIATE`` transactions
serialise writers anyway.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from egov.documents.models import Register, RegisterCounter


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


def format_number(number: int) -> str:
    """Nghị định 30: numbers below 10 are written with a leading zero (``05``)."""
    return f"{number:02d}"
