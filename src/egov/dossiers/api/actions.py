"""The dossier transitions of the REST API, as tables (one row per ``POST /…/{id}/<action>/``).

Each row names the viewset method, the input serializer, the ``dossiers.services`` function and how the
validated body becomes its keyword arguments, and the OpenAPI summary and description;
:func:`egov.core.api.object_actions` generates the DRF actions of :class:`~egov.dossiers.api.views.
DossierViewSet` (officials, ``STAFF_ACTIONS``) and :class:`~egov.dossiers.api.views.MyDossierViewSet`
(citizens, ``MY_ACTIONS``) from them. The services check who may act and which transitions are legal, and
write in one transaction with the audit row; the actions answer the whole dossier, re-read.
"""

from __future__ import annotations

from typing import Any

from egov.core.api import ObjectAction
from egov.dossiers import services
from egov.dossiers.api import serializers as s


def papers(data: dict[str, Any]) -> list[services.PaperInput]:
    """The service's paper inputs from the multipart lists (see ``PapersInputSerializer``)."""
    found: list[services.PaperInput] = []
    for upload, paper in zip(data.get("files", []), data.get("file_papers", []), strict=True):
        name = "" if paper else str(getattr(upload, "name", "") or "")
        found.append(services.PaperInput(required_paper=paper or None, upload=upload, name=name))
    for document, paper in zip(
        data.get("citizen_documents", []), data.get("citizen_document_papers", []), strict=True
    ):
        found.append(services.PaperInput(required_paper=paper, citizen_document=document))
    given = {p.required_paper for p in found}
    for paper in data.get("papers", []):
        if paper not in given:
            found.append(services.PaperInput(required_paper=paper))
            given.add(paper)
    return found


def _supplement(body: dict[str, Any]) -> dict[str, Any]:
    return {"papers": papers(body), "note": body["note"]}


#: Officials (``/api/v1/dossiers/{id}/…``), in the order of the processing.
STAFF_ACTIONS: tuple[ObjectAction, ...] = (
    ObjectAction(
        "accept",
        services.accept,
        "Accept",
        "Tiếp nhận (1 → 2): appointment date, processing steps. One-stop officers.",
        operation_id="dossiers_accept",
    ),
    ObjectAction(
        "refuse",
        services.refuse,
        "Refuse",
        "Từ chối tiếp nhận (1 → 3, mẫu 03), with the reason.",
        s.ReasonSerializer,
        operation_id="dossiers_refuse",
    ),
    ObjectAction(
        "start",
        services.start_processing,
        "Start processing",
        "Chuyển xử lý (2 → 4): the first step starts.",
        s.StartSerializer,
        arguments=lambda body: {"handler": body.get("handler")},
        operation_id="dossiers_start",
    ),
    ObjectAction(
        "forward",
        services.forward_step,
        "Assign the current step",
        "Phân công: hand the current step to a person holding the step's role in its agency.",
        s.StepForwardSerializer,
        operation_id="dossiers_forward",
    ),
    ObjectAction(
        "complete_step",
        services.complete_step,
        "Complete the current step",
        "Hoàn thành bước: the next step starts; after the last one the dossier is processed (4 → 9).",
        s.CompleteStepSerializer,
        arguments=lambda body: {"note": body["note"], "next_handler": body.get("next_handler")},
        operation_id="dossiers_complete_step",
        url_path="complete-step",
    ),
    ObjectAction(
        "return_step",
        services.return_to_previous_step,
        "Return to the previous step",
        "Trả lại bước trước (chuyển trả): the current step is closed as returned and the previous step of "
        "the process opens again (its previous handler, else its role holders), with the reason; step "
        "deadlines are counted again from now, the appointment does not change. The current step's "
        "handler or role holders; not from the first processing step.",
        s.StepReturnSerializer,
        operation_id="dossiers_return_step",
        url_path="return-step",
    ),
    ObjectAction(
        "request_supplement",
        services.request_supplement,
        "Request a supplement",
        "Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02; 1/2/4 → 5): the clock stops until the papers arrive.",
        s.SupplementRequestSerializer,
        operation_id="dossiers_request_supplement",
        url_path="request-supplement",
    ),
    ObjectAction(
        "provide_supplement",
        services.provide_supplement,
        "Record a supplement at the desk",
        "Bổ sung hồ sơ brought to the desk (5 → back; the appointment moves by the days the clock stopped).",
        s.SupplementProvideSerializer,
        arguments=_supplement,
        operation_id="dossiers_provide_supplement",
        url_path="provide-supplement",
        multipart=True,
    ),
    ObjectAction(
        "request_payment",
        services.request_payment,
        "Request the fees",
        "Yêu cầu thực hiện nghĩa vụ tài chính (2/4 → 6).",
        s.PaymentRequestSerializer,
        arguments=lambda body: {"amount": body.get("amount")},
        operation_id="dossiers_request_payment",
        url_path="request-payment",
    ),
    ObjectAction(
        "record_payment",
        services.record_payment,
        "Record a desk payment",
        "Ghi nhận đã nộp phí, lệ phí tại Bộ phận Một cửa (6 → back), with a receipt number.",
        s.PaymentRecordSerializer,
        arguments=lambda body: {"reference": body["reference"]},
        constants={"method": "desk"},
        operation_id="dossiers_record_payment",
        url_path="record-payment",
    ),
    ObjectAction(
        "stop",
        services.stop,
        "Stop processing",
        "Dừng xử lý (→ 8, mẫu 05), with the reason.",
        s.ReasonSerializer,
        operation_id="dossiers_stop",
    ),
    ObjectAction(
        "apology",
        services.issue_apology,
        "Apologise and set a new appointment",
        "Văn bản xin lỗi và hẹn lại ngày trả kết quả "
        "(mẫu 04): the new appointment must be a later working day.",
        s.ApologyInputSerializer,
        operation_id="dossiers_apology",
    ),
    ObjectAction(
        "result",
        services.attach_result,
        "Attach the result",
        "Kết quả điện tử: the result file, signed with the issuing agency's seal when `sign`.",
        s.ResultInputSerializer,
        arguments=lambda body: {"upload": body["file"], "sign": body["sign"], "note": body["note"]},
        operation_id="dossiers_result",
        multipart=True,
    ),
    ObjectAction(
        "return_result",
        services.return_result,
        "Return the result",
        "Trả kết quả (9 → 10): at the desk, by post (tracking number) or online.",
        s.ReturnSerializer,
        operation_id="dossiers_return",
        url_path="return",
        url_name="return",
    ),
)

#: Citizens (``/api/v1/my/dossiers/{id}/…``), on their own dossiers.
MY_ACTIONS: tuple[ObjectAction, ...] = (
    ObjectAction(
        "supplement",
        services.provide_supplement,
        "Provide the supplement",
        "Bổ sung hồ sơ (5 → back): the papers requested, as files or documents of the store.",
        s.SupplementProvideSerializer,
        arguments=_supplement,
        operation_id="my_dossiers_supplement",
        multipart=True,
    ),
    ObjectAction(
        "withdraw",
        services.withdraw,
        "Withdraw",
        "Rút hồ sơ (→ 7) while it is not finished.",
        s.OptionalReasonSerializer,
        operation_id="my_dossiers_withdraw",
    ),
    ObjectAction(
        "pay",
        services.record_payment,
        "Pay the fees online",
        "Thanh toán phí, lệ phí trực tuyến (6 → back) through a payment "
        "provider (`sandbox` in this installation).",
        s.CitizenPaySerializer,
        operation_id="my_dossiers_pay",
    ),
    ObjectAction(
        "rate",
        services.rate,
        "Rate",
        "Đánh giá mức độ hài lòng (1–5), once, after the result.",
        s.RateSerializer,
        operation_id="my_dossiers_rate",
    ),
    ObjectAction(
        "feedback",
        services.add_feedback,
        "Send feedback",
        "Phản ánh, kiến nghị about the dossier.",
        s.FeedbackInputSerializer,
        operation_id="my_dossiers_feedback",
    ),
)

__all__ = ["MY_ACTIONS", "STAFF_ACTIONS", "papers"]
