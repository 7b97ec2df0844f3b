"""Files of a dossier service that fails are deleted (one mechanism: ``documents.storage.discard_on_error``),
except a content-addressed file another row still refers to; business times come from ``core.clock``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from egov.core import clock
from egov.documents.models import StoredFile
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierEvent, DossierGroup, Status

from .conftest import NamedBytes, at, desk, full_papers, pdf_bytes, pdf_io, submit, upload

BAD = b"MZ\x90\x00 not a pdf"
OVERWRITING = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"allow_overwrite": True}}


def _files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _path(name: str) -> Path:
    return Path(StoredFile._meta.get_field("file").storage.path(name))  # type: ignore[attr-defined]


def test_failed_signed_result_leaves_no_file(world, settings):
    d = desk(world)
    services.start_processing(actor=world.officer, dossier=d)
    before, rows = _files(settings), StoredFile.objects.count()
    with pytest.raises(ValidationError):  # stored first, then refused: the agency has no certificate
        services.attach_result(actor=world.officer, dossier=d, upload=pdf_io("Ket qua ky"), sign=True)
    assert _files(settings) == before and StoredFile.objects.count() == rows
    d.refresh_from_db()
    assert d.result_file_id is None


def test_failed_supplement_leaves_no_file_and_keeps_the_status(world, settings):
    d = desk(world)
    services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu", papers=["Bản sao CCCD"])
    before = _files(settings)
    papers = [
        services.PaperInput(name="Bản sao CCCD", upload=upload("cccd.pdf", "CCCD moi")),
        services.PaperInput(name="Tờ khai", upload=NamedBytes(BAD, "to-khai.pdf")),
    ]
    with pytest.raises(ValidationError):
        services.provide_supplement(actor=world.officer, dossier=d, papers=papers)
    assert _files(settings) == before
    d.refresh_from_db()
    assert d.status == Status.SUPPLEMENT


def test_failed_group_part_deletes_the_files_of_every_part(group_world, settings):
    world, group, procedures, _agencies = group_world
    papers = {p.pk: full_papers(p) for p in procedures}
    papers[procedures[2].pk] = [
        services.PaperInput(required_paper=procedures[2].papers.first(), upload=NamedBytes(BAD, "bhyt.pdf"))
    ]
    before = _files(settings)
    with pytest.raises(ValidationError):
        services.submit_group(actor=world.citizen, procedure_group=group, papers=papers)
    assert _files(settings) == before
    assert not DossierGroup.objects.exists() and not Dossier.objects.exists()


def test_a_file_shared_with_an_existing_row_survives_a_failed_submission(world, settings):
    settings.STORAGES = {**settings.STORAGES, "default": OVERWRITING}
    data = pdf_bytes("To khai dung chung")
    papers = list(world.procedure.papers.all())
    first = submit(
        world,
        papers=[services.PaperInput(required_paper=p, upload=NamedBytes(data, "a.pdf")) for p in papers],
    )
    shared = first.papers.exclude(file=None).first().file
    with pytest.raises(ValidationError):
        submit(
            world,
            papers=[
                services.PaperInput(required_paper=papers[0], upload=NamedBytes(data, "a.pdf")),
                services.PaperInput(required_paper=papers[1], upload=NamedBytes(BAD, "b.pdf")),
            ],
        )
    assert _path(shared.file.name).exists()
    with shared.file.open("rb") as fh:
        assert fh.read() == data
    assert Dossier.objects.count() == 1


def test_services_read_the_business_clock(world):
    moment = at(2026, 3, 2, 9, 30)  # a Monday
    with clock.at(moment) as frozen:
        d = submit(world)
        frozen.advance(hours=1)
        d = services.accept(actor=world.officer, dossier=d)
        frozen.advance(minutes=30)
        d = services.start_processing(actor=world.officer, dossier=d)
    assert d.submitted_at == moment
    assert d.received_at == moment + dt.timedelta(hours=1)
    assert d.due_at is not None and d.due_at.date() == dt.date(2026, 3, 9)  # 5 working days later
    events = list(DossierEvent.objects.filter(dossier=d).order_by("id").values_list("at", flat=True))
    assert events[0] == moment and events[-1] == moment + dt.timedelta(hours=1, minutes=30)
    assert d.code.split("-")[1] == "260302"  # the code carries the business date
