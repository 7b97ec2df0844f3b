from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from egov.audit.models import AuditEntry
from egov.directory.models import Agency
from egov.procedures import selectors
from egov.procedures.demo import SPECS
from egov.procedures.models import Procedure, ProcedureAgency, ProcedureGroup, RequiredPaper


def test_demo_catalogue_is_loaded_once(db, settings):
    settings.EGOV_DEMO_DOCUMENTS_SCALE = 0
    settings.EGOV_DEMO_DOSSIERS_SCALE = 0
    out = StringIO()
    call_command("demo", stdout=out)
    assert "demo procedures" in out.getvalue()
    assert Procedure.objects.filter(is_active=True).count() == len(SPECS) >= 20
    codes = set(Procedure.objects.values_list("code", flat=True))
    assert {"1.001193", "1.000894", "1.000656", "1.004222", "2.000720", "2.000815"} <= codes
    groups = {g.code: [i.procedure.code for i in g.items.all()] for g in selectors.groups()}
    assert groups == {
        "LT-KS-TT-BHYT": ["1.001193", "1.004222", "1.000026"],
        "LT-KT-XTT-MT": ["1.000656", "1.004206", "1.001731"],
    }
    commune = Agency.objects.get(external_key__startswith="gso2025:commune:", name__contains="Cái Khế")
    received = set(selectors.procedures_received_by(commune).values_list("code", flat=True))
    assert "1.001193" in received and "2.001417" not in received
    centre = Agency.objects.get(short_name="TTPVHCC")
    assert "2.001417" in set(selectors.procedures_received_by(centre).values_list("code", flat=True))
    birth = selectors.procedure_detail("1.001193")
    assert birth is not None and sum(s.days for s in birth.steps.all()) <= min(
        m.processing_days for m in birth.methods.all()
    )
    assert RequiredPaper.objects.exclude(form_file="").count() >= 20
    assert ProcedureAgency.objects.filter(procedure=birth, role="receiving").count() == 103
    counts = (Procedure.objects.count(), ProcedureGroup.objects.count(), AuditEntry.objects.count())
    out = StringIO()
    call_command("demo", stdout=out)
    assert "demo procedures already present" in out.getvalue()
    assert (Procedure.objects.count(), ProcedureGroup.objects.count(), AuditEntry.objects.count()) == counts
