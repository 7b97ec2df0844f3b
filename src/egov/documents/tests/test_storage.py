"""Files written by a failed transaction (``storage.discard_on_error``): deleted, unless a row still names
them; nested scopes; successful scopes keep their files."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from egov.documents import storage
from egov.documents.models import StoredFile

from .conftest import NamedBytes, pdf_bytes

# Like object storage that overwrites: one name per content (and month), shared by every row of that content.
OVERWRITING = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"allow_overwrite": True},
}


class Boom(Exception):
    pass


def _path(name: str) -> Path:
    return Path(StoredFile._meta.get_field("file").storage.path(name))  # type: ignore[attr-defined]


@storage.discard_on_error
@transaction.atomic
def _store_then(data: bytes, *, fail: bool, names: list[str]) -> StoredFile:
    stored = storage.store(NamedBytes(data, "tep.pdf"))
    names.append(stored.file.name)
    if fail:
        raise Boom
    return stored


def test_failed_scope_deletes_its_files_and_a_successful_one_keeps_them(db):
    names: list[str] = []
    with pytest.raises(Boom):
        _store_then(pdf_bytes("Lan mot"), fail=True, names=names)
    assert names and not _path(names[0]).exists()
    assert not StoredFile.objects.exists()

    kept = _store_then(pdf_bytes("Lan hai"), fail=False, names=names)
    assert _path(kept.file.name).exists()


def test_nested_scope_files_go_when_the_outer_scope_fails(db):
    names: list[str] = []

    @storage.discard_on_error
    @transaction.atomic
    def outer() -> None:
        _store_then(
            pdf_bytes("Ben trong"), fail=False, names=names
        )  # succeeds: its file joins the outer scope
        storage.store(NamedBytes(b"MZ not a pdf", "x.pdf"))  # fails validation

    with pytest.raises(ValidationError):
        outer()
    assert names and not _path(names[0]).exists()
    assert not StoredFile.objects.exists()


def test_a_file_another_row_still_names_is_kept(db, settings):
    settings.STORAGES = {**settings.STORAGES, "default": OVERWRITING}
    data = pdf_bytes("Cung noi dung")
    first = storage.store(NamedBytes(data, "a.pdf"))  # committed row (the test's transaction)
    names: list[str] = []
    with pytest.raises(Boom):
        _store_then(data, fail=True, names=names)
    assert names == [first.file.name]  # the same content-addressed name
    assert _path(first.file.name).exists()
    with first.file.open("rb") as fh:
        assert fh.read() == data
    assert StoredFile.objects.count() == 1


def test_no_scope_no_tracking(db):
    stored = storage.store(NamedBytes(pdf_bytes("Khong pham vi"), "b.pdf"))
    assert storage._written.get() is None
    assert _path(stored.file.name).exists()
