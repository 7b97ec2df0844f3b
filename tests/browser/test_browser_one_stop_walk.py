"""The one-stop shop walked end to end in a real browser (chromium), with the real notification peers:

a citizen searches a procedure on the portal (accent-insensitive), submits online with uploads → the one-stop
officer receives it at ``/mot-cua/`` → requests a supplement → the citizen adds the paper on the portal → the
officer sends it for processing → the specialist and the leader complete their steps (through the services:
their step pages are not part of this walk) with the result attached → the officer returns it → the citizen
downloads the result and rates the service.

Notifications leave through the notify app's real delivery (``services.deliver``, what the worker's task
runs) to an SMTP server (aiosmtpd) and the test SMSC (SMPP 3.4) on loopback; after each step the test checks
that the SMS (decoded Vietnamese text at the SMSC) and the e-mail arrived with the dossier code. The online
submission itself sends nothing (the portal shows the code at once); the first messages follow reception.
"""

# ruff: noqa: F811  (fixtures imported from the dossier and notify tests are parameters here)
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from egov.dossiers.tests.conftest import world  # noqa: F401  (fixture)
from egov.notify.tests.conftest import smsc, smtp, templates  # noqa: F401  (fixtures)

PHONE = {"width": 390, "height": 844}


def deliver_all(dossier: Any) -> list[Any]:
    """Run the delivery task for every queued message of the dossier, like the worker does."""
    from egov.notify import selectors
    from egov.notify.tasks import deliver_message

    queued = list(selectors.messages_for(dossier).filter(status="queued"))
    for msg in queued:
        deliver_message.call(msg.pk)
    return queued


def expect_notified(dossier: Any, event: str, smsc: Any, smtp: Any, phone: str, email: str) -> None:
    from egov.notify import selectors

    sent = deliver_all(dossier)
    assert {m.event for m in sent} >= {f"dossier.{event}"}, [m.event for m in sent]
    assert all(
        m.status in ("sent", "delivered")
        for m in selectors.messages_for(dossier).filter(pk__in=[m.pk for m in sent])
    )
    texts = [m.text for m in smsc.messages() if m.destination.endswith(phone[1:])]
    assert any(dossier.code in t for t in texts), texts
    mails = [m for rcpt, m in smtp.messages if email in rcpt]
    assert any(
        dossier.code in (m.get_body(("plain",)).get_content() if m.get_body(("plain",)) else "")
        or dossier.code in str(m["Subject"])
        for m in mails
    )


@pytest.mark.django_db(transaction=True)
def test_citizen_submits_officer_processes_citizen_gets_result(
    browser,
    live_server,
    world,
    smsc,
    smtp,
    templates,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    from egov.directory.tests.fixtures import PASSWORD
    from egov.documents.tests.conftest import pdf_bytes
    from egov.dossiers import services
    from egov.dossiers.models import Dossier, Status
    from egov.procedures.models import Procedure

    Procedure.objects.filter(pk=world.procedure.pk).update(name="Đăng ký khai sinh", online_level="full")
    world.procedure.refresh_from_db()
    world.procedure.save()  # refresh the folded search key
    citizen_phone, citizen_email = world.citizen.phone, world.citizen.email
    to_khai = tmp_path / "to-khai.pdf"
    to_khai.write_bytes(pdf_bytes("To khai dang ky khai sinh"))
    cccd = tmp_path / "cccd.pdf"
    cccd.write_bytes(pdf_bytes("Ban sao CCCD"))
    extra = tmp_path / "so-ho-khau.pdf"
    extra.write_bytes(pdf_bytes("So ho khau"))

    citizen_ctx = browser.new_context(viewport=PHONE, locale="vi-VN")
    officer_ctx = browser.new_context(locale="vi-VN")
    try:
        # 1. The citizen finds the procedure without typing accents and submits online.
        page = citizen_ctx.new_page()
        page.goto(f"{live_server.url}/dich-vu-cong/")
        page.fill("input[name=q]", "dang ky khai sinh")
        page.click("form.p-search button[type=submit]")
        page.click("text=Đăng ký khai sinh")
        page.click("text=Nộp hồ sơ trực tuyến")
        assert "/dich-vu-cong/dang-nhap/" in page.url
        page.fill("input[name=username]", citizen_phone)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.p-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/nop-ho-so/$"))
        assert page.input_value("input[name=applicant_identity]") == "001090000001"
        papers = list(world.procedure.papers.order_by("order"))
        page.set_input_files(f"input[name=paper_{papers[0].pk}]", str(to_khai))
        page.set_input_files(f"input[name=paper_{papers[1].pk}]", str(cccd))
        page.screenshot(path=str(screenshots / "portal-submit-phone.png"), full_page=True)
        page.click("form[data-upload-progress] button[type=submit]")
        page.wait_for_url(re.compile(r".*/da-nop/$"))
        code = page.inner_text("#dossier-code").strip()
        dossier = Dossier.objects.get(code=code)
        assert dossier.status == Status.NEW and dossier.papers.filter(file__isnull=False).count() == 2
        assert Dossier.objects.count() == 1
        page.screenshot(path=str(screenshots / "portal-submitted-phone.png"), full_page=True)
        assert deliver_all(dossier) == []  # nothing is sent before reception

        # 2. The one-stop officer receives it.
        staff = officer_ctx.new_page()
        staff.goto(f"{live_server.url}/login/?next=/mot-cua/")
        staff.fill("input[name=username]", world.officer.username)
        staff.fill("input[name=password]", PASSWORD)
        staff.click("main form button[type=submit]")
        staff.wait_for_url(re.compile(r"^[^?]*/mot-cua/$"))
        assert code in staff.content()

        def officer_action(
            name: str,
            fill: dict[str, str] | None = None,
            select: dict[str, str] | None = None,
            check: dict[str, str] | None = None,
        ) -> None:
            staff.goto(f"{live_server.url}/mot-cua/ho-so/{dossier.pk}/{name}/")
            for field, value in (check or {}).items():
                staff.check(f"main [name={field}][value='{value}']")
            for field, value in (fill or {}).items():
                staff.fill(f"main [name={field}]", value)
            for field, value in (select or {}).items():
                staff.select_option(f"main [name={field}]", value)
            staff.click("main form[method=post] button[type=submit]")
            staff.wait_for_url(re.compile(rf".*/mot-cua/ho-so/{dossier.pk}/$"))

        officer_action("accept")
        dossier.refresh_from_db()
        assert dossier.status == Status.RECEIVED and dossier.due_at is not None
        expect_notified(dossier, "received", smsc, smtp, citizen_phone, citizen_email)

        # 3. Supplement requested.
        officer_action(
            "supplement", fill={"reason": "Thiếu bản sao sổ hộ khẩu", "other_papers": "Bản sao sổ hộ khẩu"}
        )
        dossier.refresh_from_db()
        assert dossier.status == Status.SUPPLEMENT
        expect_notified(dossier, "supplement_requested", smsc, smtp, citizen_phone, citizen_email)
        sms = [m.text for m in smsc.messages() if code in m.text]
        assert any("bổ sung" in t.lower() for t in sms), sms

        # 4. The citizen adds the paper on the portal.
        page.goto(f"{live_server.url}/dich-vu-cong/ho-so/")
        page.click(f"text={code}")
        assert "Thiếu bản sao sổ hộ khẩu" in page.content()
        page.set_input_files("#bo-sung input[name=file_0]", str(extra))
        page.click("#bo-sung button[type=submit]")
        page.wait_for_selector("text=Đã bổ sung hồ sơ.")
        dossier.refresh_from_db()
        assert dossier.status == Status.RECEIVED
        assert dossier.papers.filter(supplement__isnull=False, file__isnull=False).count() == 1

        # 5. Processing: the officer sends it on; the specialist and the leader complete their steps.
        officer_action("start", select={"handler": str(world.specialist.pk)})
        dossier.refresh_from_db()
        assert dossier.status == Status.PROCESSING
        deliver_all(dossier)
        services.complete_step(actor=world.specialist, dossier=dossier, note="Hồ sơ hợp lệ")
        result = tmp_path / "trich-luc-khai-sinh.pdf"
        result.write_bytes(pdf_bytes("Trich luc khai sinh"))
        from egov.documents.tests.conftest import NamedBytes

        services.attach_result(
            actor=world.leader,
            dossier=dossier,
            upload=NamedBytes(result.read_bytes(), result.name),
            note="Trích lục",
        )
        dossier = services.complete_step(actor=world.leader, dossier=dossier, note="Đồng ý")
        assert dossier.status == Status.DONE
        expect_notified(dossier, "result_ready", smsc, smtp, citizen_phone, citizen_email)

        # 6. The officer returns the result; the citizen downloads it and rates the service.
        officer_action("return", check={"method": "online"})
        dossier.refresh_from_db()
        assert dossier.status == Status.RETURNED
        expect_notified(dossier, "returned", smsc, smtp, citizen_phone, citizen_email)

        page.goto(f"{live_server.url}/dich-vu-cong/ho-so/{dossier.pk}/")
        with page.expect_download() as download_info:
            page.click("#download-result")
        download = download_info.value
        saved = tmp_path / "downloaded.pdf"
        download.save_as(str(saved))
        assert saved.read_bytes().startswith(b"%PDF")
        page.check("input[name=score][value='5']")
        page.click("#danh-gia button[type=submit]")
        page.wait_for_selector("text=Bạn đã đánh giá 5/5")
        assert "Bạn đã đánh giá 5/5" in page.content()
        page.screenshot(path=str(screenshots / "portal-dossier-phone.png"), full_page=True)

        # 7. Anyone with the code (the QR code on the receipt) sees the status, not the applicant.
        public = browser.new_context(viewport=PHONE).new_page()
        public.goto(f"{live_server.url}/dich-vu-cong/tra-cuu/{code}/")
        text = public.inner_text("main")
        assert "Đã trả kết quả" in text and world.citizen.get_full_name() not in text
        public.context.close()
    finally:
        citizen_ctx.close()
        officer_ctx.close()
