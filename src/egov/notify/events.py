"""The notification events (sự kiện) the one-stop shop emits and the placeholders each one carries.

Every event has one template per channel (SMS, e-mail); ``egov.notify.services.notify`` refuses an unknown
event and a context that lacks one of the event's placeholders, so a mistake shows at queue time in the
caller's transaction, not hours later in the worker.
"""

from __future__ import annotations

BASE = (
    "dossier_code",
    "procedure_name",
    "applicant_name",
    "agency_name",
    "received_date",
    "due_date",
    "status_url",
)

EVENTS: dict[str, tuple[str, ...]] = {
    "dossier.received": BASE,
    "dossier.supplement_requested": (*BASE, "reason", "papers"),
    "dossier.refused": (*BASE, "reason"),
    "dossier.processing": BASE,
    "dossier.financial_obligation": (*BASE, "amount"),
    "dossier.result_ready": BASE,
    "dossier.late_apology": (*BASE, "reason", "new_due_date"),
    "dossier.returned": BASE,
    "dossier.stopped": (*BASE, "reason"),
    "dossier.withdrawn": BASE,
    # Nhắc báo cáo (issue #6): to the clerks, leaders and administrators of an agency whose report is due.
    "reporting.reminder": ("regime_name", "period_label", "agency_name", "deadline", "status", "kind"),
}

# Vietnamese labels for the admin and the officer's view.
LABELS: dict[str, str] = {
    "dossier.received": "Tiếp nhận hồ sơ",
    "dossier.supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "dossier.refused": "Từ chối hồ sơ",
    "dossier.processing": "Đang giải quyết",
    "dossier.financial_obligation": "Thông báo nghĩa vụ tài chính",
    "dossier.result_ready": "Có kết quả",
    "dossier.late_apology": "Xin lỗi, hẹn lại ngày trả",
    "dossier.returned": "Đã trả kết quả",
    "dossier.stopped": "Dừng giải quyết",
    "dossier.withdrawn": "Rút hồ sơ",
    "reporting.reminder": "Nhắc gửi báo cáo",
}


def placeholders(event: str) -> tuple[str, ...]:
    try:
        return EVENTS[event]
    except KeyError:
        raise ValueError(
            f"unknown notification event {event!r}; known events: {', '.join(sorted(EVENTS))}"
        ) from None
