"""The default Vietnamese templates (mẫu thông báo), seeded by migration 0002 and editable in the admin.

Placeholders use ``str.format`` syntax with names only (``{dossier_code}``): no attribute access, indexing
or format specifications, so an edited template cannot reach into Python objects. SMS texts stay within two
UCS-2 parts (134 characters) for usual values; e-mails have a subject and a longer body.
"""

from __future__ import annotations

from typing import Any

GREETING = "Kính gửi ông/bà {applicant_name},\n\n"
FOOTER = (
    "\n\nÔng/bà có thể tra cứu tình trạng hồ sơ tại: {status_url}\n\n"
    "Trân trọng,\n{agency_name}\n\n"
    "(Thư được gửi tự động từ hệ thống một cửa điện tử, vui lòng không trả lời thư này.)"
)
ABOUT = "hồ sơ {dossier_code} (thủ tục “{procedure_name}”, tiếp nhận ngày {received_date})"

# event -> (sms body, e-mail subject, e-mail body)
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "dossier.received": (
        "{agency_name} đã tiếp nhận hồ sơ {dossier_code}. Hẹn trả kết quả ngày {due_date}.",
        "[{agency_name}] Tiếp nhận hồ sơ {dossier_code}",
        GREETING + "{agency_name} đã tiếp nhận " + ABOUT + ".\nNgày hẹn trả kết quả: {due_date}." + FOOTER,
    ),
    "dossier.supplement_requested": (
        "Hồ sơ {dossier_code} cần bổ sung: {papers}. Lý do: {reason}.",
        "[{agency_name}] Yêu cầu bổ sung hồ sơ {dossier_code}",
        GREETING
        + "Sau khi xem xét "
        + ABOUT
        + ", {agency_name} đề nghị ông/bà bổ sung, hoàn thiện hồ sơ.\n\n"
        "Giấy tờ cần bổ sung: {papers}\nLý do: {reason}\n\n"
        "Thời hạn giải quyết được tính lại từ khi nhận đủ hồ sơ hợp lệ." + FOOTER,
    ),
    "dossier.refused": (
        "Hồ sơ {dossier_code} không được tiếp nhận. Lý do: {reason}.",
        "[{agency_name}] Từ chối hồ sơ {dossier_code}",
        GREETING + "{agency_name} rất tiếc thông báo " + ABOUT + " không được tiếp nhận, giải quyết.\n\n"
        "Lý do: {reason}" + FOOTER,
    ),
    "dossier.processing": (
        "Hồ sơ {dossier_code} đang được giải quyết. Hẹn trả kết quả ngày {due_date}.",
        "[{agency_name}] Hồ sơ {dossier_code} đang được giải quyết",
        GREETING + ABOUT[0].upper() + ABOUT[1:] + " đang được {agency_name} giải quyết.\n"
        "Ngày hẹn trả kết quả: {due_date}." + FOOTER,
    ),
    "dossier.financial_obligation": (
        "Hồ sơ {dossier_code}: đề nghị nộp {amount} (nghĩa vụ tài chính) để nhận kết quả.",
        "[{agency_name}] Thông báo nghĩa vụ tài chính, hồ sơ {dossier_code}",
        GREETING + "Để nhận kết quả " + ABOUT + ", ông/bà cần thực hiện nghĩa vụ tài chính "
        "với số tiền: {amount}.\n\nÔng/bà có thể nộp trực tuyến hoặc tại bộ phận một cửa." + FOOTER,
    ),
    "dossier.result_ready": (
        "Hồ sơ {dossier_code} đã có kết quả. Mời ông/bà nhận kết quả tại {agency_name}.",
        "[{agency_name}] Hồ sơ {dossier_code} đã có kết quả",
        GREETING + ABOUT[0].upper() + ABOUT[1:] + " đã có kết quả.\n"
        "Mời ông/bà đến bộ phận một cửa của {agency_name} hoặc nhận theo hình thức đã đăng ký." + FOOTER,
    ),
    "dossier.late_apology": (
        "Xin lỗi ông/bà: hồ sơ {dossier_code} trễ hẹn do {reason}. Hẹn trả lại ngày {new_due_date}.",
        "[{agency_name}] Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier_code}",
        GREETING + "{agency_name} thành thật xin lỗi ông/bà vì " + ABOUT + " chưa có kết quả đúng hẹn "
        "(ngày {due_date}).\n\nLý do: {reason}\nNgày hẹn trả kết quả mới: {new_due_date}.\n\n"
        "Mong ông/bà thông cảm." + FOOTER,
    ),
    "dossier.returned": (
        "Hồ sơ {dossier_code} đã được trả kết quả. Cảm ơn ông/bà đã sử dụng dịch vụ.",
        "[{agency_name}] Đã trả kết quả hồ sơ {dossier_code}",
        GREETING + "{agency_name} đã trả kết quả " + ABOUT + ".\n"
        "Cảm ơn ông/bà đã sử dụng dịch vụ công." + FOOTER,
    ),
    "dossier.stopped": (
        "Hồ sơ {dossier_code} đã dừng giải quyết. Lý do: {reason}.",
        "[{agency_name}] Dừng giải quyết hồ sơ {dossier_code}",
        GREETING + "{agency_name} thông báo " + ABOUT + " đã dừng giải quyết.\n\nLý do: {reason}" + FOOTER,
    ),
    "dossier.withdrawn": (
        "Hồ sơ {dossier_code} đã được rút theo đề nghị của ông/bà.",
        "[{agency_name}] Rút hồ sơ {dossier_code}",
        GREETING
        + "Theo đề nghị của ông/bà, "
        + ABOUT
        + " đã được rút và không tiếp tục giải quyết."
        + FOOTER,
    ),
    "reporting.reminder": (
        "Nhắc báo cáo: {regime_name} kỳ {period_label} của {agency_name}, hạn gửi {deadline} ({status}).",
        "[egov] {kind}: {regime_name} kỳ {period_label}",
        "Kính gửi {agency_name},\n\n"
        "{kind}: báo cáo “{regime_name}” kỳ {period_label} chưa được gửi (trạng thái: {status}).\n"
        "Hạn gửi: {deadline}.\n\n"
        "Đề nghị đơn vị hoàn thành và gửi báo cáo trên hệ thống thông tin báo cáo.\n\n"
        "(Thư được gửi tự động từ hệ thống thông tin báo cáo, vui lòng không trả lời thư này.)",
    ),
}


def template_for(event: str, channel: str) -> Any:
    """The built-in default of ``event`` on ``channel`` as an unsaved ``Template``."""
    from egov.notify.models import Template

    sms, subject, body = DEFAULTS[event]
    if channel == "sms":
        return Template(event=event, channel=channel, language="vi", body=sms)
    return Template(event=event, channel=channel, language="vi", subject=subject, body=body)


def seed(template_model: type) -> int:
    """Create the missing default templates (existing ones, maybe edited, are kept); returns how many."""
    created = 0
    for event, (sms, subject, body) in DEFAULTS.items():
        for channel, defaults in (("sms", {"body": sms}), ("email", {"subject": subject, "body": body})):
            _obj, was_created = template_model.objects.get_or_create(  # type: ignore[attr-defined]
                event=event, channel=channel, language="vi", defaults=defaults
            )
            created += was_created
    return created
