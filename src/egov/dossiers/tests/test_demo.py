"""The demo dossiers: every status, every channel, late ones with their apology, through the services;
a second run adds nothing."""

from __future__ import annotations

import io

from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.demo_data import load_demo
from egov.directory.models import Agency, Position, Role
from egov.dossiers import demo
from egov.dossiers.models import (
    Apology,
    DeadlineFlag,
    Dossier,
    DossierEvent,
    DossierGroup,
    Payment,
    Rating,
    Status,
)
from egov.procedures import demo as procedures_demo
from egov.procedures.models import Channel, ProcedureAgency


def counts() -> tuple[int, ...]:
    return (
        Dossier.objects.count(),
        DossierEvent.objects.count(),
        Apology.objects.count(),
        Payment.objects.count(),
        AuditEntry.objects.count(),
    )


def _check_groups(result: demo.Result) -> None:
    """Inter-linked groups (Nghị định 63/2024): the birth → residence → health-insurance group of the demo
    citizen, each part received and handled by its own receiving agency's staff, in different states."""
    assert result.groups == 2, result.errors
    birth = DossierGroup.objects.get(procedure_group__code="LT-KS-TT-BHYT")
    parts = list(birth.dossiers.select_related("procedure", "receiving_agency").order_by("pk"))
    assert [d.procedure.code for d in parts] == ["1.001193", "1.004222", "1.000026"]
    assert [d.status for d in parts] == [Status.RETURNED, Status.PROCESSING, Status.RECEIVED]
    assert birth.owner is not None and birth.owner.citizen_profile.identity_number.startswith("092")
    for d in parts:
        assert d.group_id == birth.pk and d.code.startswith(d.receiving_agency.code_qcvn102 + "-")
        assert ProcedureAgency.objects.filter(
            procedure=d.procedure, agency=d.receiving_agency, role=ProcedureAgency.Part.RECEIVING
        ).exists()
        staff_events = d.events.exclude(actor=birth.owner).exclude(actor=None)
        assert staff_events.exists()
        for event in staff_events.select_related("actor"):
            held = Position.objects.filter(user=event.actor, agency__path__startswith=d.receiving_agency.path)
            assert held.exists(), (d.code, event.kind, event.actor)
    returned = parts[0]
    assert returned.result_file_id is not None and returned.events.filter(kind="returned").exists()
    assert parts[1].current_step is not None and parts[1].current_step.order == 2
    death = DossierGroup.objects.get(procedure_group__code="LT-KT-XTT-MT")
    assert list(death.dossiers.order_by("pk").values_list("status", flat=True)) == [
        Status.DONE,
        Status.SUPPLEMENT,
        Status.NEW,
    ]
    # The demo communes carry illustrative QCVN 102 codes and the staff to handle commune procedures.
    communes = Agency.objects.filter(positions__role=Role.ONE_STOP_OFFICER, kind=Agency.Kind.COMMUNE)
    for commune in communes.distinct():
        assert commune.code_qcvn102 and commune.code_qcvn102.startswith("000.")
        roles = set(Position.objects.filter(agency=commune).values_list("role", flat=True))
        assert {Role.ONE_STOP_OFFICER, Role.SPECIALIST, Role.LEADER} <= roles


def test_demo_dossiers_small_scale_then_nothing_more(db):
    province = load_demo().province
    procedures_demo.load(province=province)
    out = io.StringIO()
    result = demo.load(out, province=province, scale=0.06)  # 18 dossiers: the first round and a few more
    assert result.created >= 15 and not result.skipped, result.errors
    assert "demo dossiers" in out.getvalue()

    dossiers = Dossier.objects.filter(idempotency_key__startswith=demo.KEY_PREFIX)
    assert set(dossiers.values_list("status", flat=True)) >= set(Status.values)
    assert set(dossiers.values_list("channel", flat=True)) == {Channel.DIRECT, Channel.ONLINE, Channel.POSTAL}
    # Spread over the past weeks, never in the future.
    now = timezone.now()
    oldest = dossiers.order_by("submitted_at").first()
    assert oldest is not None and (now - oldest.submitted_at).days >= 14
    assert not dossiers.filter(submitted_at__gt=now).exists()
    assert not DossierEvent.objects.filter(at__gt=now).exists()
    # Late, with the apology letter and a new appointment.
    apologised = Apology.objects.select_related("dossier")
    assert apologised.exists()
    assert all(a.new_due_at > a.old_due_at for a in apologised)
    assert dossiers.filter(status=Status.RETURNED, apologies__isnull=False).exists()
    # Overdue open dossiers are flagged by the deadline scan.
    assert dossiers.filter(deadline_flag=DeadlineFlag.OVERDUE).exists()
    # Paid fees with receipts, results and ratings.
    assert Payment.objects.filter(state=Payment.State.PAID).exclude(receipt_number="").exists()
    assert dossiers.filter(status=Status.RETURNED, result_file__isnull=False).exists()
    assert Rating.objects.exists()
    # The timeline of each dossier is in order, and audited by the services.
    d = dossiers.filter(status=Status.RETURNED).first()
    assert d is not None
    moments = list(d.events.order_by("id").values_list("at", flat=True))
    assert moments == sorted(moments)
    assert AuditEntry.objects.filter(object_id=str(d.pk), action="dossiers.dossier.return").exists()
    assert AuditEntry.objects.filter(action="dossiers.demo.load").count() == 1
    _check_groups(result)

    before = counts()
    again = demo.load(io.StringIO(), province=province, scale=0.06)
    assert again.created == 0 and again.existing == result.created + result.skipped
    assert counts() == before


def test_scale_zero_loads_nothing(db, settings):
    settings.EGOV_DEMO_DOSSIERS_SCALE = 0
    assert demo.load().created == 0
    assert not Dossier.objects.exists()
