"""The one-stop officer pages: who sees what, the desk reception through its form, every action through its
dialog, the printouts and the statistics; the queue's query count does not grow with its rows."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
from django.urls import reverse
from django.utils import timezone

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierPaper, Payment, Status

from .conftest import desk, full_papers, submit, upload

HAS_PRINTOUTS = importlib.util.find_spec("egov.dossiers.printouts") is not None
needs_printouts = pytest.mark.skipif(not HAS_PRINTOUTS, reason="egov.dossiers.printouts is not there yet")


def url(name, *args):
    return reverse(f"dossiers:{name}", args=args)


def login(client, user):
    client.force_login(user)
    return client


def processing(world, handler=None):
    d = desk(world)
    return services.start_processing(actor=world.officer, dossier=d, handler=handler or world.specialist)


# --- who sees the pages ---------------------------------------------------------------------------------


def test_pages_need_staff(client, world):
    d = desk(world)
    for target in (url("queue"), url("desk"), url("detail", d.pk), url("statistics")):
        response = client.get(target)
        assert response.status_code == 302 and "login" in response["Location"]
    login(client, world.citizen)
    for target in (url("queue"), url("detail", d.pk)):
        assert client.get(target).status_code == 403


def test_queue_lists_my_agency_dossiers_by_deadline_with_flags(client, world, foreign_staff):
    first = desk(world, applicant=services.Applicant(name="Người Thứ Nhất", identity_number="001090000011"))
    second = desk(world, applicant=services.Applicant(name="Người Thứ Hai", identity_number="001090000012"))
    Dossier.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    Dossier.objects.filter(pk=second.pk).update(due_at=timezone.now() + dt.timedelta(minutes=30))
    later = desk(world, applicant=services.Applicant(name="Người Thứ Ba", identity_number="001090000013"))
    Dossier.objects.filter(pk=later.pk).update(due_at=timezone.now() + dt.timedelta(days=30))

    response = login(client, world.officer).get(url("queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(first.code) < html.index(second.code) < html.index(later.code)
    rows = dict(response.context["rows"])
    by_pk = {d.pk: flag for d, flag in rows.items()}
    assert by_pk == {first.pk: "late", second.pk: "due_soon", later.pk: ""}
    assert "row-late" in html and "row-soon" in html

    # Filters: the flag, the status, a search by CCCD.
    response = client.get(url("queue"), {"flag": "2"})
    assert response.status_code == 200  # stored flags are set by the periodic scan; nothing flagged yet
    response = client.get(url("queue"), {"q": "001090000012"})
    assert [d.pk for d, _f in response.context["rows"]] == [second.pk]
    response = client.get(
        url("queue"), {"status": str(Status.RECEIVED), "procedure": str(world.procedure.pk)}
    )
    assert len(response.context["rows"]) == 3
    # htmx gets only the results.
    response = client.get(url("queue"), {"q": "Thứ Ba"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and later.code.encode() in response.content

    login(client, foreign_staff)
    response = client.get(url("queue"))
    assert response.status_code == 200 and first.code not in response.content.decode()


def test_specialist_sees_the_dossiers_at_his_steps(client, world):
    d = processing(world)
    response = login(client, world.specialist).get(url("queue"))
    assert response.context["kind"] == "steps"
    assert d.code in response.content.decode()


def test_queue_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    for _i in range(3):
        processing(world)
    login(client, world.officer)
    with django_assert_max_num_queries(25) as few:
        assert client.get(url("queue"), {"kind": "all"}).status_code == 200
    for _i in range(12):
        processing(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("queue"), {"kind": "all"})
    assert len(response.context["rows"]) == 15


def test_dossier_page_for_the_agency_only(client, world, foreign_staff):
    from egov.notify.models import Message

    d = desk(
        world,
        applicant=services.Applicant(name="Lê Văn Cường", identity_number="001090000009", phone="0912000111"),
    )
    d = services.start_processing(actor=world.officer, dossier=d, handler=world.specialist)
    failed = Message.objects.filter(object_id=str(d.pk)).first()
    assert failed is not None
    Message.objects.filter(pk=failed.pk).update(
        status=Message.Status.FAILED, last_error="Thuê bao không liên lạc được"
    )
    response = login(client, world.officer).get(url("detail", d.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        d.code in html and "Thẩm định" in html and "Chuyên viên" in html
    ) or world.specialist.get_full_name() in html
    can = response.context["can"]
    assert can["supplement"] and can["stop"] and can["apology"] and not can["accept"] and not can["complete"]
    assert [e["event"].kind for e in response.context["timeline"]] == ["submitted", "accepted", "processing"]
    assert response.context["notices"]  # "received" and "processing" messages were queued
    assert "notice-failed" in html and "Thuê bao không liên lạc được" in html
    login(client, foreign_staff)
    assert client.get(url("detail", d.pk)).status_code == 404
    assert client.get(url("action", d.pk, "stop")).status_code == 404


# --- desk reception -------------------------------------------------------------------------------------


def test_desk_search_is_accent_insensitive_and_limited_to_the_desk(client, world):
    from .conftest import make_procedure

    make_procedure("2.000009", receiving=world.tree.office)  # another agency's desk
    login(client, world.officer)
    response = client.get(url("desk"), {"q": "thu tuc 1.0000"})
    assert response.status_code == 200
    assert [p.code for p in response.context["results"]] == [world.procedure.code]
    response = client.get(url("desk"), {"q": "khong co"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and response.context["results"] == []
    # Only one-stop officers receive.
    login(client, world.specialist)
    assert client.get(url("desk")).status_code == 403
    assert client.get(url("desk-receive", world.tree.department.pk, world.procedure.pk)).status_code == 403
    login(client, world.officer)
    assert client.get(url("desk-receive", world.tree.office.pk, world.procedure.pk)).status_code == 403


def _desk_post(world, **extra):
    papers = list(world.procedure.papers.all())
    data = {
        "idempotency_key": "k-" + extra.pop("key", "1"),
        "applicant_kind": "1",
        "applicant_name": "Lê Văn Cường",
        "applicant_identity": "001090000009",
        "applicant_phone": "0912000111",
        "applicant_email": "cuong@example.vn",
        "applicant_address": "12 Lê Lợi",
        "channel": "1",
        "description": "Cấp bản sao",
        "decision": "accept",
    }
    for p in papers:
        data[f"paper_{p.pk}"] = "on"
    data.update(extra)
    return data


def test_desk_reception_end_to_end(client, world):
    login(client, world.officer)
    form_url = url("desk-receive", world.tree.department.pk, world.procedure.pk)
    page = client.get(form_url)
    assert page.status_code == 200 and "Tờ khai" in page.content.decode()
    to_khai, cccd = list(world.procedure.papers.all())

    # A required paper missing: clearly refused, nothing saved.
    data = _desk_post(world)
    del data[f"paper_{cccd.pk}"]
    response = client.post(form_url, data)
    assert response.status_code == 400
    assert "Thiếu giấy tờ bắt buộc" in response.content.decode()
    assert Dossier.objects.count() == 0

    # Complete, with a scan of the form: received and accepted at once.
    data = _desk_post(world, **{f"scan_{to_khai.pk}": upload("to-khai.pdf")})
    response = client.post(form_url, data)
    assert response.status_code == 302
    d = Dossier.objects.get()
    assert response["Location"] == url("detail", d.pk)
    assert d.status == Status.RECEIVED and d.received_by == world.officer and d.due_at is not None
    assert d.applicant_phone and d.applicant_email == "cuong@example.vn"
    papers = {p.required_paper_id: p for p in DossierPaper.objects.filter(dossier=d)}
    assert papers[to_khai.pk].file is not None and papers[cccd.pk].file is None

    # The same form sent twice (double click) gives the same dossier.
    response = client.post(form_url, _desk_post(world))
    assert response.status_code == 302 and Dossier.objects.count() == 1

    page = client.get(response["Location"])
    assert "In giấy tiếp nhận (mẫu 01)" in page.content.decode()
    assert ("01", page.context["printouts"][0][1]) == page.context["printouts"][0]
    paper = papers[to_khai.pk]
    download = client.get(url("paper-file", d.pk, paper.pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_desk_refusal_needs_a_reason(client, world):
    login(client, world.officer)
    form_url = url("desk-receive", world.tree.department.pk, world.procedure.pk)
    response = client.post(form_url, _desk_post(world, decision="refuse"))
    assert response.status_code == 400 and Dossier.objects.count() == 0
    response = client.post(form_url, _desk_post(world, decision="refuse", refusal_reason="Sai thẩm quyền"))
    assert response.status_code == 302
    d = Dossier.objects.get()
    assert d.status == Status.REFUSED and d.end_reason == "Sai thẩm quyền"
    page = client.get(url("detail", d.pk))
    assert [code for code, _l in page.context["printouts"]] == ["03"]


def test_desk_form_errors_on_applicant(client, world):
    login(client, world.officer)
    form_url = url("desk-receive", world.tree.department.pk, world.procedure.pk)
    response = client.post(form_url, _desk_post(world, applicant_identity="", applicant_email="not-an-email"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "applicant_identity" in form.errors and "applicant_email" in form.errors
    response = client.post(form_url, _desk_post(world, applicant_identity="12345"))
    assert response.status_code == 400 and "applicant_identity" in response.context["form"].errors
    assert Dossier.objects.count() == 0


@needs_printouts
def test_receipt_printout_is_an_inline_pdf(client, world, foreign_staff):
    d = desk(world)
    response = login(client, world.officer).get(url("printout", d.pk, "01"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;") and ".pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert client.get(url("printout", d.pk, "03")).status_code == 404  # not refused
    assert client.get(url("printout", d.pk, "99")).status_code == 404
    login(client, foreign_staff)
    assert client.get(url("printout", d.pk, "01")).status_code == 404


# --- actions through their dialogs ----------------------------------------------------------------------


def test_dialog_is_a_fragment_for_htmx_and_a_page_otherwise(client, world):
    d = processing(world)
    login(client, world.officer)
    fragment = client.get(url("action", d.pk, "supplement"), HTTP_HX_REQUEST="true")
    assert (
        fragment.status_code == 200
        and b"<html" not in fragment.content
        and b'role="dialog"' in fragment.content
    )
    page = client.get(url("action", d.pk, "supplement"))
    assert page.status_code == 200 and b"<html" in page.content
    assert client.get(url("action", d.pk, "accept")).status_code == 403  # already received
    assert client.get(url("action", d.pk, "nonsense")).status_code == 404
    login(client, world.leader)
    assert client.get(url("action", d.pk, "payment_record")).status_code == 403


def test_online_dossier_accept_start_forward_complete(client, world):
    other = make_staff("chuyenvien2", world.tree.unit, Role.SPECIALIST, title="Chuyên viên")
    from egov.directory.models import Position

    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    d = submit(world)
    login(client, world.officer)
    assert client.post(url("action", d.pk, "accept"), {"note": ""}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.RECEIVED

    dialog = client.get(url("action", d.pk, "start"))
    handlers = dict(dialog.context["form"].fields["handler"].choices)
    assert world.specialist.pk in handlers and other.pk in handlers
    assert client.post(url("action", d.pk, "start"), {"handler": str(world.specialist.pk)}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.PROCESSING and d.current_step.handler == world.specialist

    login(client, world.specialist)
    response = client.post(url("action", d.pk, "forward"), {"handler": "999999"})
    assert response.status_code == 400 and b'role="dialog"' in response.content
    response = client.post(
        url("action", d.pk, "forward"), {"handler": str(other.pk), "note": "Nhờ anh xử lý"}
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current_step.handler == other

    login(client, other)
    response = client.post(
        url("action", d.pk, "complete"), {"note": "Hồ sơ hợp lệ", "handler": str(world.leader.pk)}
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current_step.order == 2 and d.current_step.handler == world.leader
    page = client.get(url("detail", d.pk))
    assert not page.context["can"]["complete"]  # the leader's step now

    login(client, world.leader)
    response = client.post(
        url("action", d.pk, "result"), {"upload": upload("ket-qua.pdf"), "note": "Bản sao"}
    )
    assert response.status_code == 302
    assert client.post(url("action", d.pk, "complete"), {"note": "Đồng ý"}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.DONE and d.result_file_id

    login(client, world.officer)
    response = client.post(url("action", d.pk, "return"), {"method": "post", "tracking_number": ""})
    assert response.status_code == 400
    d.refresh_from_db()
    assert d.status == Status.DONE
    response = client.post(
        url("action", d.pk, "return"), {"method": "post", "tracking_number": "EE123456789VN"}
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.RETURNED and d.tracking_number == "EE123456789VN"
    page = client.get(url("detail", d.pk))
    assert page.status_code == 200 and "EE123456789VN" in page.content.decode()
    assert client.get(url("result-file", d.pk)).status_code == 200


def test_supplement_request_and_desk_provision(client, world):
    d = processing(world)
    login(client, world.specialist)
    response = client.post(url("action", d.pk, "supplement"), {"reason": "  ", "papers": ["Tờ khai"]})
    assert response.status_code == 400
    d.refresh_from_db()
    assert d.status == Status.PROCESSING
    response = client.post(
        url("action", d.pk, "supplement"),
        {"reason": "Tờ khai thiếu chữ ký", "papers": ["Tờ khai"], "other_papers": "Giấy ủy quyền\n"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.SUPPLEMENT and d.supplements.get().papers == ["Tờ khai", "Giấy ủy quyền"]

    login(client, world.officer)
    to_khai = world.procedure.papers.get(code="TO_KHAI")
    response = client.post(url("action", d.pk, "provide"), {"required_paper": "", "name": ""})
    assert response.status_code == 400
    response = client.post(
        url("action", d.pk, "provide"),
        {"required_paper": str(to_khai.pk), "upload": upload("to-khai-2.pdf"), "note": "Đã ký"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert (
        d.status == Status.PROCESSING
        and d.papers.filter(supplement__isnull=False, file__isnull=False).exists()
    )


def test_payment_request_and_desk_receipt(client, world):
    d = processing(world)
    login(client, world.officer)
    assert client.post(url("action", d.pk, "payment_request"), {"amount": "0"}).status_code == 400
    assert client.post(url("action", d.pk, "payment_request"), {"amount": "50000"}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.PAYMENT
    response = client.post(url("action", d.pk, "payment_record"), {"reference": ""}, follow=True)
    payment = Payment.objects.get(dossier=d)
    assert payment.state == Payment.State.PAID and payment.receipt_number
    assert payment.receipt_number in response.content.decode()  # message and the payments card


def test_stop_apology_withdraw_refuse(client, world):
    d = processing(world)
    login(client, world.leader)
    due = timezone.localtime(d.due_at).date()
    response = client.post(
        url("action", d.pk, "apology"), {"reason": "Chờ xác minh", "new_due_date": due.strftime("%d/%m/%Y")}
    )
    assert response.status_code == 400 and "Ngày hẹn mới" in response.content.decode()
    new_day = due + dt.timedelta(days=7)
    while new_day.weekday() >= 5:
        new_day += dt.timedelta(days=1)
    from egov.core import calendar

    while not calendar.is_working_day(new_day):
        new_day += dt.timedelta(days=1)
    response = client.post(
        url("action", d.pk, "apology"),
        {"reason": "Chờ xác minh", "new_due_date": new_day.strftime("%d/%m/%Y"), "issuer_title": "Giám đốc"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert timezone.localtime(d.due_at).date() == new_day
    page = client.get(url("detail", d.pk))
    assert "04" in [code for code, _l in page.context["printouts"]] and page.context["apologies"]

    assert client.post(url("action", d.pk, "stop"), {"reason": ""}).status_code == 400
    assert client.post(url("action", d.pk, "stop"), {"reason": "Người nộp đề nghị dừng"}).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.STOPPED

    other = desk(world, applicant=services.Applicant(name="Hồ Thị Em", identity_number="001090000021"))
    login(client, world.officer)
    assert client.post(url("action", other.pk, "withdraw"), {"reason": "Rút"}).status_code == 302
    other.refresh_from_db()
    assert other.status == Status.WITHDRAWN

    new = submit(world, papers=full_papers(world.procedure))
    assert (
        client.post(url("action", new.pk, "refuse"), {"reason": "Không thuộc thẩm quyền"}).status_code == 302
    )
    new.refresh_from_db()
    assert new.status == Status.REFUSED


def test_service_still_decides_on_post(client, world):
    """A button hidden from a user is also refused by the service when posted anyway."""
    d = processing(world)
    login(client, world.specialist)
    assert client.post(url("action", d.pk, "return"), {"method": "desk"}).status_code in (400, 403)
    assert client.post(url("action", d.pk, "payment_record"), {}).status_code == 403
    d.refresh_from_db()
    assert d.status == Status.PROCESSING


# --- statistics -----------------------------------------------------------------------------------------


def test_statistics_for_leaders_and_officers(client, world):
    processing(world)
    d = desk(world, applicant=services.Applicant(name="Hồ Thị Em", identity_number="001090000021"))
    login(client, world.leader)
    response = client.get(url("statistics"))
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats["received"] == 2 and stats["online"] == 0
    assert response.context["by_procedure"][0]["procedure_code"] == world.procedure.code
    assert b"<progress" in response.content
    response = client.get(url("statistics"), {"date_from": "31/12/2026", "date_to": "01/01/2026"})
    assert response.status_code == 400
    login(client, world.officer)
    assert client.get(url("statistics")).status_code == 200
    login(client, world.specialist)
    assert client.get(url("statistics")).status_code == 403
    assert d.code


@needs_printouts
def test_dossier_book_download(client, world):
    desk(world)
    today = timezone.localdate().strftime("%d/%m/%Y")
    response = login(client, world.officer).get(url("book"), {"date_from": today, "date_to": today})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content[:2] == b"PK"
