"""Gap-free numbering per register per year (số đến, số văn bản đi).

The counter row of (register, year) is locked with ``SELECT … FOR UPDATE`` for the rest of the caller's
transaction: two clerks registering at the same moment queue on that row, so numbers are never duplicated,
and because the number is taken inside the transaction that saves the document, a failed save rolls the
counter back too — no gaps. On SQLite, egov's ``BEGIN IMMEDIATE`` transactions serialise writers anyway.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from egov.documents.models import Register, RegisterCounter


def take_next_number(register: Register, year: int) -> int:
    if not connection.in_atomic_block:
        raise RuntimeError("take_next_number() must run inside the transaction that saves the document")
    counter = RegisterCounter.objects.select_for_update().filter(register=register, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first number of the year may win the insert
                RegisterCounter.objects.create(register=register, year=year, last_number=0)
        except IntegrityError:
            pass
        counter = RegisterCounter.objects.select_for_update().get(register=register, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def format_number(number: int) -> str:
    """Nghị định 30: numbers below 10 are written with a leading zero (``05``)."""
    return f"{number:02d}"
