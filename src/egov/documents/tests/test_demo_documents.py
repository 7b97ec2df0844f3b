from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.demo_data import load_demo
from egov.directory.models import User
from egov.documents import demo, exports, selectors, storage
from egov.documents.models import (
    Attachment,
    Confidentiality,
    IncomingDocument,
    OutgoingDocument,
    Register,
)
from egov.signing import services as signing
from egov.signing.models import Certificate

S = IncomingDocument.Status


def counts() -> tuple[int, ...]:
    return (
        IncomingDocument.objects.count(),
        OutgoingDocument.objects.count(),
        Register.objects.count(),
        Certificate.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )


def test_demo_documents_small_scale_then_nothing_more(db):
    load_demo()
    out = io.StringIO()
    result = demo.load(out, scale=0.1)  # 30 incoming, 4 outgoing issued, 1 still a draft
    assert result.created and result.incoming == 30 and result.outgoing_issued == 4
    assert result.outgoing_in_progress == 1 and "demo documents" in out.getvalue()
    assert not result.skipped  # every department gets its seal certificate, long Vietnamese names included

    # incoming: across agencies, every status, late and due soon, secret, each with a real PDF
    seeded = list(
        IncomingDocument.objects.exclude(source=IncomingDocument.Source.EXCHANGE).select_related("agency")
    )
    assert len(seeded) == 30
    assert {d.agency.short_name for d in seeded} >= {"SNV", "VP"}
    assert {S.REGISTERED, S.PRESENTED, S.ASSIGNED, S.IN_PROGRESS, S.COMPLETED} <= {d.status for d in seeded}
    assert {"late", "due_soon"} <= {selectors.deadline_flag(d) for d in seeded}
    secret = [d for d in seeded if d.confidentiality > Confidentiality.NORMAL]
    assert secret and all(d.register.is_secret for d in secret)
    doc = min((d for d in seeded if d.agency.short_name == "SNV"), key=lambda d: d.arrival_number or 0)
    att = doc.attachments.select_related("file").get(role=Attachment.Role.MAIN)
    assert att.file.content_type == storage.PDF
    text = " ".join(att.file.text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert f"Số: {doc.number_notation}" in text and "Cần Thơ, ngày" in text and "Nơi nhận" in text
    # arrival numbers run without gaps in each register, in order of arrival
    for register in Register.objects.filter(direction=Register.Direction.INCOMING):
        docs = list(
            IncomingDocument.objects.filter(register=register, arrival_number__isnull=False).order_by(
                "arrival_year", "arrival_number"
            )
        )
        for year in {d.arrival_year for d in docs}:
            numbers = [d.arrival_number for d in docs if d.arrival_year == year]
            assert numbers == list(range(1, len(numbers) + 1))
        assert [d.arrival_date for d in docs] == sorted(d.arrival_date for d in docs)

    # outgoing: through the whole flow, signed by the signer then sealed, delivered inside egov
    issued = OutgoingDocument.objects.filter(status=OutgoingDocument.Status.ISSUED)
    assert issued.count() == 4
    for out_doc in issued:
        assert out_doc.number and out_doc.code_notation and out_doc.signer_name
        assert {"drafted", "submitted", "reviewed", "approved", "signed", "issued"} <= set(
            out_doc.events.values_list("kind", flat=True)
        )
        final = out_doc.attachments.select_related("file").get(role=Attachment.Role.SIGNED)
        with final.file.file.open("rb") as fh:
            data = fh.read()
        checks = signing.verify_pdf(data)
        assert len(checks) == 2 and all(c.ok for c in checks)  # the signer, then the agency's seal
        # numbered at issue, after the signer's signature: the number is in the form field of the page
        assert signing.text_field_values(data)["SoVanBan"] == out_doc.code_number
        assert checks[0].modification_level == "FORM_FILLING"
        recipients = list(out_doc.recipients.select_related("incoming"))
        assert recipients and all(r.incoming_id for r in recipients)
        for r in recipients:
            assert r.incoming.issuing_agency_id == out_doc.agency_id
            assert r.incoming.attachments.get(role=Attachment.Role.MAIN).file_id == final.file_id
            assert r.status_code in {"01", "03", "04"}  # the recipient's progress, seen by the sender

    # the clerk sees the department's documents and can print the register
    clerk = User.objects.get(username="vanthu.snv")
    register = Register.objects.get(agency__short_name="SNV", direction="incoming", is_default=True)
    year = timezone.localdate().year
    rows = exports.incoming_register_xlsx(clerk, register, dt.date(year - 1, 1, 1), dt.date(year, 12, 31))
    assert rows[:2] == b"PK"

    # a second run creates nothing
    before = counts()
    out = io.StringIO()
    again = demo.load(out)
    assert not again.created and counts() == before
    assert "already present" in out.getvalue()


def test_egov_demo_command_loads_the_documents(db, settings):
    settings.EGOV_DEMO_DOCUMENTS_SCALE = 0.03  # 9 incoming, 1 outgoing issued, 1 draft
    settings.EGOV_DEMO_DOSSIERS_SCALE = 0
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "demo documents: 9" in out.getvalue()
    assert OutgoingDocument.objects.filter(status=OutgoingDocument.Status.ISSUED).count() == 1
    before = counts()
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert counts() == before and "demo documents already present" in out.getvalue()
    settings.EGOV_DEMO_DOCUMENTS_SCALE = 0
    assert not demo.load().created
