"""The handling steps of incoming and outgoing documents in the REST API, as tables.

One row per ``POST /api/v1/incoming/{id}/<action>/`` or ``/api/v1/outgoing/{id}/<action>/``: the viewset
method, the input serializer, the ``documents.services`` / ``documents.outgoing`` function and how the
validated body becomes its keyword arguments, and the OpenAPI summary and description.
:func:`egov.core.api.object_actions` generates the DRF actions from them; the services check the caller's
role and the document's status, and write in one transaction with the audit row.
"""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import JSONParser

from egov.core.api import ObjectAction
from egov.documents import outgoing, services
from egov.documents.api.serializers import (
    AcceptSerializer,
    ApproveSerializer,
    AssignSerializer,
    CompleteSerializer,
    ForwardSerializer,
    IssueSerializer,
    OpinionSerializer,
    PresentSerializer,
    RefuseSerializer,
    ReviewSerializer,
)


def _assignment(kind: str, target: dict[str, Any]) -> services.AssignmentSpec:
    return services.AssignmentSpec(kind, user=target.get("user"), unit=target.get("unit"))


def _assign(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "direction": body["direction"],
        "lead": _assignment("lead", body["lead"]),
        "cooperate": [_assignment("cooperate", t) for t in body.get("cooperate", [])],
        "inform": [_assignment("inform", t) for t in body.get("inform", [])],
        "deadline_working_days": body.get("deadline_working_days"),
    }


def _register(body: dict[str, Any]) -> dict[str, Any]:
    return {"register": body.get("register")}


#: Văn bản đến: presentation, direction and assignment, handling, and the axis' received documents.
INCOMING_ACTIONS: tuple[ObjectAction, ...] = (
    ObjectAction(
        "present",
        services.present,
        "Present to the leader",
        "Trình lãnh đạo (clerks; from `registered`).",
        PresentSerializer,
    ),
    ObjectAction(
        "assign",
        services.assign,
        "Direct and assign the handling",
        "Ý kiến chỉ đạo và phân công (leaders of the agency): one lead handler, co-handlers and "
        "readers, each a person or an internal unit of the agency, and a deadline in working days. A new "
        "direction replaces the open assignments.",
        AssignSerializer,
        arguments=_assign,
        parser_classes=(JSONParser,),
    ),
    ObjectAction(
        "opinion",
        services.add_opinion,
        "Add a handling opinion",
        "Ý kiến xử lý by the lead handler or a co-handler; the first one moves the document to "
        "`in_progress`.",
        OpinionSerializer,
        arguments=lambda body: {"text": body["text"]},
    ),
    ObjectAction(
        "forward",
        services.forward,
        "Forward the handling",
        "The lead handler passes the handling to a person of their unit.",
        ForwardSerializer,
    ),
    ObjectAction(
        "complete",
        services.complete,
        "Complete the handling",
        "Hoàn thành (the lead handler; from `assigned` or `in_progress`).",
        CompleteSerializer,
    ),
    ObjectAction(
        "refuse",
        services.refuse,
        "Refuse a received document",
        "Từ chối tiếp nhận (clerks; from `received`, i.e. delivered by another agency or the "
        "exchange axis). The reason is reported to the sender.",
        RefuseSerializer,
        arguments=lambda body: {"reason": body["reason"]},
    ),
    ObjectAction(
        "accept",
        services.accept_received,
        "Register a received document",
        "Tiếp nhận (clerks; from `received`): gives the arrival number.",
        AcceptSerializer,
        arguments=_register,
    ),
)

#: Văn bản đi: submission, review, approval, signature and issue.
OUTGOING_ACTIONS: tuple[ObjectAction, ...] = (
    ObjectAction(
        "submit",
        outgoing.submit,
        "Submit the draft for review",
        "Trình duyệt (the drafter; from `draft`, with a main file).",
    ),
    ObjectAction(
        "review",
        outgoing.review,
        "Review by the drafting unit's head",
        "Lãnh đạo đơn vị cho ý kiến (from `in_review`): forward to the agency's leader, or "
        "return to the drafter with a note.",
        ReviewSerializer,
    ),
    ObjectAction(
        "approve",
        outgoing.approve,
        "Approval by the agency's leader",
        "Lãnh đạo cơ quan duyệt (from `pending_approval`): approved documents wait for the "
        "signer; or return to the drafter with a note.",
        ApproveSerializer,
    ),
    ObjectAction(
        "sign",
        outgoing.sign,
        "Sign",
        "Ký số (the designated signer; from `approved`) with their personal certificate. No number "
        "is given yet: the first page gets the number and date lines with empty form fields, then it is "
        "signed (the signature leaves only those fields open); the signed PDF is added as a `signed` file.",
    ),
    ObjectAction(
        "issue",
        outgoing.issue,
        "Number and issue",
        "Cấp số và phát hành (clerks; from `signed`), in one transaction: the next number of "
        "`register` (default: the agency's outgoing register, the secret one for a secret document) and "
        "today's date, written into the signed file's form fields (the signer's signature stays valid), the "
        "agency's seal signature, attachment stamps, and delivery to the recipients inside egov. A document "
        "numbered at signature (older flow) keeps its number; `register` must then be that number's "
        "register.",
        IssueSerializer,
        arguments=_register,
    ),
)

__all__ = ["INCOMING_ACTIONS", "OUTGOING_ACTIONS"]
