from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from egov.audit.models import AuditEntry
from egov.directory import services as directory_services
from egov.directory.models import Role
from egov.procedures import services
from egov.procedures.models import Channel, Procedure, ProcessStep
from egov.procedures.tests.conftest import Part, make_procedure


def test_create_writes_everything_and_one_audit_row(tree):
    before = AuditEntry.objects.count()
    procedure = make_procedure(tree)
    assert procedure.methods.count() == 2 and procedure.papers.count() == 1
    assert list(procedure.steps.values_list("order", "days")) == [(1, Decimal("0.5")), (2, Decimal("0.5"))]
    assert procedure.agency_links.filter(role=Part.RECEIVING, agency=tree.commune).exists()
    entries = AuditEntry.objects.filter(action="procedures.procedure.create")
    assert entries.count() == 1 and entries.get().after["code"] == "1.001193"
    assert AuditEntry.objects.count() == before + 2  # the field, the procedure


@pytest.mark.parametrize("code", ["1001193", "1.00119", "ABCD.001193", "1.001193 ", ""])
def test_code_format(tree, code):
    if code.strip() == "1.001193":
        make_procedure(tree, code=code)  # surrounding spaces are trimmed
        return
    with pytest.raises(ValidationError) as err:
        make_procedure(tree, code=code)
    assert "code" in err.value.message_dict
    assert not Procedure.objects.exists()


def test_duplicate_code_refused(birth, tree):
    with pytest.raises(ValidationError, match="đã có"):
        make_procedure(tree)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [
                {"name": "A", "role": "specialist", "days": 1, "order": 1},
                {"name": "B", "role": "leader", "days": 0, "order": 3},
            ],
            "liên tục",
        ),
        ([{"name": "A", "role": "specialist", "days": -1}], "lớn hơn hoặc bằng 0"),
        ([{"name": "A", "role": "specialist", "days": "0.25"}], "một chữ số thập phân"),
        ([{"name": "A", "role": "boss", "days": 0}], "vai trò"),
        (
            [
                {"name": "A", "role": "specialist", "days": "0.6"},
                {"name": "B", "role": "leader", "days": "0.5"},
            ],
            "vượt thời hạn",
        ),
    ],
)
def test_step_rules(birth, steps, message):
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match=message):
        services.set_process_steps(actor=None, procedure=birth, steps=steps)
    assert birth.steps.count() == 2 and AuditEntry.objects.count() == audit


def test_step_agency_must_be_current(birth, tree):
    directory_services.close_agency(actor=None, agency=tree.office, last_day=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="không còn hoạt động"):
        services.set_process_steps(
            actor=None,
            procedure=birth,
            steps=[{"name": "A", "role": "specialist", "days": 1, "agency": tree.office}],
        )


def test_shorter_methods_cannot_undercut_the_steps(birth):
    with pytest.raises(ValidationError, match="vượt thời hạn"):
        services.set_execution_methods(
            actor=None, procedure=birth, methods=[{"channel": Channel.DIRECT, "processing_days": "0.5"}]
        )
    assert birth.methods.count() == 2


def test_active_procedure_taking_dossiers_needs_a_receiving_agency(birth, tree):
    with pytest.raises(ValidationError, match="cơ quan tiếp nhận"):
        services.set_procedure_agencies(
            actor=None, procedure=birth, agencies=[(tree.commune, Part.EXECUTING)]
        )
    with pytest.raises(ValidationError, match="cơ quan tiếp nhận"):
        make_procedure(tree, code="1.000894", agencies=[])
    # Without methods it takes no dossier (catalogue entry only), or deactivated: allowed.
    make_procedure(tree, code="1.000656", agencies=[], methods=[], steps=[])
    services.deactivate_procedure(actor=None, procedure=birth, reason="Bãi bỏ")
    services.set_procedure_agencies(actor=None, procedure=birth, agencies=[])
    with pytest.raises(ValidationError, match="cơ quan tiếp nhận"):
        services.activate_procedure(actor=None, procedure=birth)


def test_update_audits_before_and_after_and_skips_no_change(birth):
    audit = AuditEntry.objects.count()
    services.update_procedure(actor=None, procedure=birth, name="Đăng ký khai sinh")
    entry = AuditEntry.objects.latest("seq")
    assert entry.action == "procedures.procedure.update"
    assert entry.before["name"] == "Thủ tục đăng ký khai sinh" and entry.after["name"] == "Đăng ký khai sinh"
    services.update_procedure(actor=None, procedure=birth, name="Đăng ký khai sinh")
    assert AuditEntry.objects.count() == audit + 1


def test_papers_keep_their_identity(birth):
    paper = birth.papers.get()
    services.set_required_papers(
        actor=None,
        procedure=birth,
        papers=[{"name": "Giấy chứng sinh"}, {"name": "Tờ khai đăng ký khai sinh", "copies": 1}],
    )
    assert list(birth.papers.values_list("name", "order")) == [
        ("Giấy chứng sinh", 1),
        ("Tờ khai đăng ký khai sinh", 2),
    ]
    assert birth.papers.get(name="Tờ khai đăng ký khai sinh").pk == paper.pk


def test_form_upload_checked_by_content(birth):
    from django.core.files.base import ContentFile

    with pytest.raises(ValidationError, match="PDF, DOC"):
        services.set_required_papers(
            actor=None,
            procedure=birth,
            papers=[
                {"name": "Tờ khai", "form_file": ContentFile(b"<script>alert(1)</script>", name="x.pdf")}
            ],
        )
    services.set_required_papers(
        actor=None,
        procedure=birth,
        papers=[{"name": "Tờ khai", "form_file": ContentFile(b"%PDF-1.4\n%%EOF", name="x.exe")}],
    )
    assert birth.papers.get().form_file.name.endswith(".pdf")


def test_only_system_admins_change_the_catalogue(
    birth, tree, system_admin, agency_admin, foreign_staff, clerk
):
    for user in (agency_admin, foreign_staff, clerk):
        with pytest.raises(PermissionDenied):
            services.update_procedure(actor=user, procedure=birth, name="Sửa")
        with pytest.raises(PermissionDenied):
            services.set_execution_methods(actor=user, procedure=birth, methods=[])
        with pytest.raises(PermissionDenied):
            services.deactivate_procedure(actor=user, procedure=birth)
    services.update_procedure(actor=system_admin, procedure=birth, name="Đăng ký khai sinh")
    assert AuditEntry.objects.latest("seq").actor == system_admin


def test_agency_admin_edits_template_of_procedures_it_alone_executes(tree, agency_admin, foreign_staff):
    """agency_admin administers tree.department: a procedure it executes alone is its to template."""
    own = make_procedure(
        tree, code="1.004222", agencies=[(tree.department, Part.RECEIVING), (tree.department, Part.EXECUTING)]
    )
    steps = [{"name": "Tiếp nhận", "role": Role.ONE_STOP_OFFICER, "days": "0.5"}]
    services.set_process_steps(actor=agency_admin, procedure=own, steps=steps)
    assert own.steps.count() == 1
    shared = make_procedure(
        tree,
        code="1.004194",
        agencies=[
            (tree.department, Part.RECEIVING),
            (tree.department, Part.EXECUTING),
            (tree.office, Part.EXECUTING),
        ],
    )
    with pytest.raises(PermissionDenied):
        services.set_process_steps(actor=agency_admin, procedure=shared, steps=steps)
    with pytest.raises(PermissionDenied):
        services.set_process_steps(actor=foreign_staff, procedure=own, steps=steps)
    with pytest.raises(PermissionDenied):  # agencies stay the system administrators' decision
        services.set_procedure_agencies(actor=agency_admin, procedure=own, agencies=[])


def test_steps_are_renumbered_in_place(birth):
    ids = list(ProcessStep.objects.filter(procedure=birth).order_by("order").values_list("pk", flat=True))
    services.set_process_steps(
        actor=None, procedure=birth, steps=[{"name": "Một bước", "role": "leader", "days": 1}]
    )
    assert list(ProcessStep.objects.filter(procedure=birth).values_list("pk", "name")) == [
        (ids[0], "Một bước")
    ]


def test_groups(tree, birth, system_admin, agency_admin):
    other = make_procedure(tree, code="1.004222", name="Đăng ký thường trú")
    with pytest.raises(ValidationError, match="ít nhất hai"):
        services.create_group(actor=None, code="LT1", name="Liên thông", procedures=[birth])
    with pytest.raises(PermissionDenied):
        services.create_group(actor=agency_admin, code="LT1", name="Liên thông", procedures=[birth, other])
    group = services.create_group(
        actor=system_admin, code="LT1", name="Liên thông", procedures=[birth, other]
    )
    assert list(group.items.values_list("procedure__code", flat=True)) == ["1.001193", "1.004222"]
    services.update_group(actor=system_admin, group=group, procedures=[other, birth])
    assert list(group.items.order_by("order").values_list("procedure__code", flat=True)) == [
        "1.004222",
        "1.001193",
    ]
    assert AuditEntry.objects.filter(action__startswith="procedures.group.").count() == 2
