"""Illegal transitions, permission boundaries, bad input (nothing half-saved, no orphan files), idempotent
submission, codes, the document store, inter-linked groups, queues and statistics."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from egov.directory.models import Agency, Role
from egov.directory.tests.fixtures import make_staff
from egov.documents.models import StoredFile
from egov.dossiers import selectors, services
from egov.dossiers.models import CitizenDocument, DeadlineFlag, Dossier, DossierCounter, DossierGroup, Status
from egov.procedures.models import Procedure

from .conftest import NamedBytes, desk, full_papers, make_procedure, pdf_io, submit, upload

# --- dossiers in every status ---------------------------------------------------------------------------


def _finish_steps(world, d):
    services.complete_step(actor=world.specialist, dossier=d)
    return services.complete_step(actor=world.leader, dossier=d)


def in_status(world, status: int) -> Dossier:
    o = world.officer
    if status == Status.NEW:
        return submit(world)
    d = desk(world)
    if status == Status.RECEIVED:
        return d
    if status == Status.REFUSED:
        return services.refuse(actor=o, dossier=desk(world, accept=False), reason="Sai")
    if status == Status.PAYMENT:
        return services.request_payment(actor=o, dossier=d)
    if status == Status.WITHDRAWN:
        return services.withdraw(actor=o, dossier=d)
    d = services.start_processing(actor=o, dossier=d)
    if status == Status.PROCESSING:
        return d
    if status == Status.SUPPLEMENT:
        return services.request_supplement(actor=o, dossier=d, reason="Thiếu")
    if status == Status.STOPPED:
        return services.stop(actor=o, dossier=d, reason="Dừng")
    d = _finish_steps(world, d)
    if status == Status.DONE:
        return d
    return services.return_result(actor=o, dossier=d)


def _own(world, d):
    """Give a desk dossier to the world's citizen so citizen-side actions are about status, not ownership."""
    Dossier.objects.filter(pk=d.pk).update(owner=world.citizen)
    d.refresh_from_db()
    return d


ACTIONS = {
    "accept": ({1}, lambda w, d: services.accept(actor=w.officer, dossier=d)),
    "refuse": ({1}, lambda w, d: services.refuse(actor=w.officer, dossier=d, reason="x")),
    "start_processing": ({2}, lambda w, d: services.start_processing(actor=w.officer, dossier=d)),
    "complete_step": ({4}, lambda w, d: services.complete_step(actor=w.specialist, dossier=d)),
    "request_supplement": (
        {1, 2, 4},
        lambda w, d: services.request_supplement(actor=w.officer, dossier=d, reason="x"),
    ),
    "provide_supplement": (
        {5},
        lambda w, d: services.provide_supplement(
            actor=w.officer, dossier=d, papers=[services.PaperInput(name="Bổ sung", upload=upload())]
        ),
    ),
    "request_payment": ({2, 4}, lambda w, d: services.request_payment(actor=w.officer, dossier=d)),
    "record_payment": ({6}, lambda w, d: services.record_payment(actor=w.officer, dossier=d, method="desk")),
    "withdraw": ({1, 2, 4, 5, 6}, lambda w, d: services.withdraw(actor=w.citizen, dossier=_own(w, d))),
    "stop": ({2, 4, 5, 6}, lambda w, d: services.stop(actor=w.officer, dossier=d, reason="x")),
    "return_result": ({9}, lambda w, d: services.return_result(actor=w.officer, dossier=d)),
    "rate": ({9, 10}, lambda w, d: services.rate(actor=w.citizen, dossier=_own(w, d), score=4)),
    "issue_apology": (
        {2, 4, 5, 6},
        lambda w, d: services.issue_apology(
            actor=w.officer, dossier=d, reason="x", new_due_at=d.due_at + dt.timedelta(days=30)
        ),
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_illegal_transition_is_refused_and_changes_nothing(world, action):
    allowed, call = ACTIONS[action]
    for status in Status:
        if status in allowed:
            continue
        d = in_status(world, status)
        if d.due_at is None and action == "issue_apology":
            d.due_at = d.submitted_at
        events = d.events.count()
        with pytest.raises(ValidationError):
            call(world, d)
        fresh = Dossier.objects.get(pk=d.pk)
        assert fresh.status == status, (action, status)
        assert fresh.events.count() == events


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_works_from_its_allowed_statuses(world, action):
    allowed, call = ACTIONS[action]
    for status in sorted(allowed):
        d = in_status(world, status)
        call(world, d)


# --- permissions ----------------------------------------------------------------------------------------


def test_a_citizen_cannot_act_on_another_citizens_dossier(world):
    d = submit(world)
    other = world.other_citizen
    for call in (
        lambda: services.withdraw(actor=other, dossier=d),
        lambda: services.add_feedback(actor=other, dossier=d, text="x"),
        lambda: services.accept(actor=other, dossier=d),
    ):
        with pytest.raises(PermissionDenied):
            call()
    services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu")
    with pytest.raises(PermissionDenied):
        services.provide_supplement(
            actor=other, dossier=d, papers=[services.PaperInput(name="x", upload=upload())]
        )
    assert selectors.dossier_get(other, d.pk) is None
    assert selectors.dossier_get(world.citizen, d.pk) == d


def test_staff_permissions(world, tree, foreign_staff, system_admin):
    d = submit(world)
    for actor in (foreign_staff, world.specialist, world.leader, world.citizen):
        with pytest.raises(PermissionDenied):
            services.accept(actor=actor, dossier=d)
    with pytest.raises(PermissionDenied):
        services.submit_online(
            actor=world.officer, procedure=world.procedure, agency=tree.department, papers=[]
        )
    d = services.accept(actor=system_admin, dossier=d)
    services.start_processing(actor=world.officer, dossier=d)
    for actor in (foreign_staff, world.citizen, world.officer):
        with pytest.raises(PermissionDenied):
            services.complete_step(actor=actor, dossier=d)
    with pytest.raises(PermissionDenied):
        services.stop(actor=world.specialist, dossier=d, reason="x")
    with pytest.raises(PermissionDenied):
        services.return_result(actor=world.leader, dossier=d)


def test_visibility_and_queue(world, tree, foreign_staff, system_admin):
    first = desk(world)
    second = desk(world)
    new = submit(world)
    Dossier.objects.filter(pk=second.pk).update(due_at=first.due_at - dt.timedelta(days=1))
    other_procedure = make_procedure("1.000050", receiving=tree.other_province)
    other_officer = make_staff("motcuakhac", tree.other_province, Role.ONE_STOP_OFFICER)
    other_province_code = tree.other_province.code_qcvn102
    assert other_province_code
    theirs = desk(world, actor=other_officer, procedure=other_procedure, agency=tree.other_province)

    visible = set(selectors.dossiers_visible_to(world.officer).values_list("pk", flat=True))
    assert visible == {first.pk, second.pk, new.pk}
    assert set(selectors.dossiers_visible_to(world.specialist).values_list("pk", flat=True)) == visible
    assert not selectors.dossiers_visible_to(foreign_staff).filter(pk__in=visible).exists()
    assert selectors.dossiers_visible_to(system_admin).filter(pk=theirs.pk).exists()
    assert set(selectors.dossiers_visible_to(world.citizen).values_list("pk", flat=True)) == {new.pk}
    assert not selectors.dossiers_visible_to(None).exists()

    queue = list(selectors.officer_queue(world.officer))
    assert [d.pk for d in queue] == [second.pk, first.pk, new.pk]  # by deadline, no deadline last
    assert not selectors.officer_queue(world.citizen).exists()
    assert list(selectors.officer_queue(foreign_staff)) == [theirs]
    assert not selectors.officer_queue(
        world.officer, selectors.QueueFilter(agency_id=tree.other_province.pk)
    ).exists()
    only_new = selectors.officer_queue(world.officer, selectors.QueueFilter(status=Status.NEW))
    assert list(only_new) == [new]
    # The flag filter applies the deadline rule now (as the officer pages and the API show the flag), not the
    # column stored by the periodic scan: a dossier late since the last scan is found, a stale stored flag is
    # not; the scan still stores the flag (flag indexes, reporting dashboards).
    Dossier.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    Dossier.objects.filter(pk=second.pk).update(deadline_flag=DeadlineFlag.OVERDUE)
    flagged = selectors.officer_queue(world.officer, selectors.QueueFilter(flag=DeadlineFlag.OVERDUE))
    assert list(flagged) == [first]
    services.flag_deadlines()
    stored = dict(Dossier.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "deadline_flag"))
    assert stored == {first.pk: DeadlineFlag.OVERDUE, second.pk: DeadlineFlag.NONE}
    services.start_processing(actor=world.officer, dossier=first)
    steps = selectors.officer_queue(world.specialist, selectors.QueueFilter(kind="steps"))
    assert list(steps) == [first]
    by_search = selectors.officer_queue(world.officer, selectors.QueueFilter(search=new.code))
    assert list(by_search) == [new]


# --- bad input ------------------------------------------------------------------------------------------


def _media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("applicant", "field"),
    [
        (services.Applicant(identity_number="12345"), "applicant_identity"),
        (services.Applicant(identity_number="999090000001"), "applicant_identity"),
        (services.Applicant(phone="0123"), "applicant_phone"),
        (services.Applicant(email="khong-phai-email"), "applicant_email"),
    ],
)
def test_invalid_applicant_data(world, settings, applicant, field):
    with pytest.raises(ValidationError) as exc:
        submit(world, applicant=applicant)
    assert field in exc.value.message_dict
    assert not Dossier.objects.exists() and not StoredFile.objects.exists() and not _media_files(settings)


def test_missing_papers_wrong_types_and_oversized_uploads_leave_nothing(world, settings):
    papers = list(world.procedure.papers.all())
    with pytest.raises(ValidationError) as exc:
        submit(world, papers=[services.PaperInput(required_paper=papers[0], upload=upload())])
    assert "Bản sao CCCD" in str(exc.value.message_dict["papers"])
    with pytest.raises(ValidationError):  # online: a paper needs a file
        submit(world, papers=[services.PaperInput(required_paper=p) for p in papers])

    # First file valid (stored), second is not a PDF: the whole submission fails, the first file is deleted.
    bad = [
        services.PaperInput(required_paper=papers[0], upload=upload()),
        services.PaperInput(required_paper=papers[1], upload=NamedBytes(b"MZ\x90\x00 not a pdf", "cccd.pdf")),
    ]
    with pytest.raises(ValidationError) as exc:
        submit(world, papers=bad)
    assert "papers.1" in exc.value.message_dict
    settings.EGOV_MAX_UPLOAD_MB = 1
    big = NamedBytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), "to.pdf")
    with pytest.raises(ValidationError):
        submit(
            world,
            papers=[
                services.PaperInput(required_paper=papers[0], upload=upload()),
                services.PaperInput(required_paper=papers[1], upload=big),
            ],
        )
    assert not Dossier.objects.exists() and not StoredFile.objects.exists()
    assert not _media_files(settings)
    assert not DossierCounter.objects.exists() or DossierCounter.objects.get().last_number == 0
    # The next good submission gets number 0001: nothing was skipped.
    assert submit(world).code.endswith("-0001")


def test_procedure_channel_and_agency_checks(world, tree):
    offline = make_procedure("1.000060", receiving=tree.department, online_level=Procedure.OnlineLevel.NONE)
    with pytest.raises(ValidationError):
        submit(world, procedure=offline)
    with pytest.raises(ValidationError):  # not a receiving agency of the procedure
        submit(world, agency=tree.office)
    foreign_paper = make_procedure("1.000061", receiving=tree.department).papers.first()
    with pytest.raises(ValidationError):
        submit(
            world,
            papers=[
                *full_papers(world.procedure),
                services.PaperInput(required_paper=foreign_paper, upload=upload()),
            ],
        )
    no_code = make_procedure("1.000062", receiving=tree.commune)  # the commune has no QCVN 102 code
    with pytest.raises(ValidationError) as exc:
        submit(world, procedure=no_code, agency=tree.commune)
    assert "agency" in exc.value.message_dict
    Procedure.objects.filter(pk=world.procedure.pk).update(is_active=False)
    world.procedure.refresh_from_db()
    with pytest.raises(ValidationError):
        submit(world)
    assert not Dossier.objects.exists()


def test_double_submission_with_the_same_key_returns_the_same_dossier(world):
    first = submit(world, idempotency_key="form-123")
    again = submit(world, idempotency_key="form-123")
    assert again.pk == first.pk and Dossier.objects.count() == 1
    other = submit(world, idempotency_key="form-124")
    assert other.pk != first.pk and other.code.endswith("-0002")
    # The key is per account: another citizen with the same key gets their own dossier.
    theirs = submit(world, actor=world.other_citizen, idempotency_key="form-123")
    assert theirs.pk != first.pk and theirs.owner == world.other_citizen
    desk1 = desk(world, idempotency_key="quay-1")
    assert desk(world, idempotency_key="quay-1").pk == desk1.pk


def test_tt03_code_format(world, tree, settings):
    settings.EGOV_DOSSIER_CODE_FORMAT = "tt03"
    with pytest.raises(ValidationError):  # no QĐ 20 code yet
        submit(world)
    Agency.objects.filter(pk=tree.department.pk).update(code_qd20="H99.01")
    tree.department.refresh_from_db()
    d = submit(world, agency=tree.department)
    assert re.fullmatch(r"H99\.01-\d{8}-0000001", d.code)


# --- the citizen's document store -----------------------------------------------------------------------


def test_results_and_papers_are_reused_from_the_store(world, tree):
    d = submit(world)
    services.accept(actor=world.officer, dossier=d)
    services.start_processing(actor=world.officer, dossier=d)
    services.attach_result(actor=world.leader, dossier=d, upload=pdf_io())
    d = _finish_steps(world, d)
    services.return_result(actor=world.officer, dossier=d)
    cccd = CitizenDocument.objects.get(owner=world.citizen, paper_code="CCCD")

    second = make_procedure("1.000070", receiving=tree.department, papers=[("CCCD", "Bản sao CCCD", True)])
    files_before = StoredFile.objects.count()
    again = submit(
        world,
        procedure=second,
        papers=[services.PaperInput(required_paper=second.papers.get(), citizen_document=cccd)],
    )
    paper = again.papers.get()
    assert paper.file_id == cccd.file_id and paper.citizen_document == cccd and paper.code == "CCCD"
    assert StoredFile.objects.count() == files_before  # nothing uploaded again

    with pytest.raises(PermissionDenied):  # another citizen's document
        submit(
            world,
            actor=world.other_citizen,
            procedure=second,
            papers=[services.PaperInput(required_paper=second.papers.get(), citizen_document=cccd.pk)],
        )
    # Returning the second dossier does not duplicate the reused paper in the store.
    services.accept(actor=world.officer, dossier=again)
    services.start_processing(actor=world.officer, dossier=again)
    again = _finish_steps(world, again)
    services.return_result(actor=world.officer, dossier=again)
    assert CitizenDocument.objects.filter(owner=world.citizen, file=cccd.file).count() == 1


# --- inter-linked procedures ----------------------------------------------------------------------------


def test_group_submission_status_and_idempotency(group_world):
    world, group, procedures, agencies = group_world
    officers = [make_staff(f"motcua{i}", a, Role.ONE_STOP_OFFICER) for i, a in enumerate(agencies)]
    papers = {p.pk: full_papers(p) for p in procedures}
    g = services.submit_group(
        actor=world.citizen, procedure_group=group, papers=papers, idempotency_key="lt-1"
    )
    assert g.code.startswith("000.00.00.H99-LT")
    parts = list(g.dossiers.order_by("id"))
    assert [p.receiving_agency for p in parts] == agencies
    assert len({p.code for p in parts}) == 3
    status = selectors.group_status(g)
    assert status.status == Status.NEW and not status.done and len(status.parts) == 3
    assert (
        services.submit_group(
            actor=world.citizen, procedure_group=group, papers=papers, idempotency_key="lt-1"
        ).pk
        == g.pk
    )
    assert DossierGroup.objects.count() == 1

    for part, officer in zip(parts, officers, strict=True):
        services.accept(actor=officer, dossier=part)
    services.start_processing(actor=officers[0], dossier=parts[0])
    assert selectors.group_status(g).status == Status.RECEIVED  # least advanced part
    for part, officer in zip(parts, officers, strict=True):
        part.refresh_from_db()
        if part.status == Status.RECEIVED:
            services.start_processing(actor=officer, dossier=part)
        step_agency = part.steps.first().agency
        doer = make_staff(f"cv{part.pk}", step_agency, Role.LEADER)
        services.complete_step(actor=doer, dossier=part)
        services.complete_step(actor=doer, dossier=part)
        services.return_result(actor=officer, dossier=part)
    final = selectors.group_status(g)
    assert final.done and final.status == Status.RETURNED


def test_group_with_a_bad_part_saves_nothing(group_world, settings):
    world, group, procedures, _agencies = group_world
    papers = {p.pk: full_papers(p) for p in procedures[:2]}  # third procedure's papers missing
    with pytest.raises(ValidationError) as exc:
        services.submit_group(actor=world.citizen, procedure_group=group, papers=papers)
    assert procedures[2].code in exc.value.message_dict
    assert not Dossier.objects.exists() and not DossierGroup.objects.exists()


# --- statistics -----------------------------------------------------------------------------------------


def test_statistics(world, tree):
    on_time = desk(world)
    services.start_processing(actor=world.officer, dossier=on_time)
    _finish_steps(world, on_time)
    late = desk(world)
    Dossier.objects.filter(pk=late.pk).update(due_at=late.submitted_at)
    services.start_processing(actor=world.officer, dossier=late)
    _finish_steps(world, late)
    submit(world)
    today = dt.date.today()
    stats = selectors.statistics(
        [tree.department.pk], today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    )
    assert stats["received"] == 3 and stats["online"] == 1
    assert abs(stats["online_share"] - 1 / 3) < 1e-9
    assert stats["finished"] == 2 and stats["on_time"] == 1 and stats["late"] == 1
    assert stats["by_procedure"][0]["procedure_code"] == "1.000001"
    assert stats["by_procedure"][0]["received"] == 3
    empty = selectors.statistics([tree.other_province.pk], today, today)
    assert empty["received"] == 0 and empty["on_time_rate"] == 0.0
