"""The provincial LGSP document-axis REST interface (guide v2.2, as used by existing Vietnamese document
systems), served under ``/lgsp/v1/`` so that those systems connect to egov's hub unchanged.

Authentication: headers ``X-SystemId`` and ``X-SecretKey``. Every answer is JSON with ``success``,
``errorCode`` (0 OK, 10 file invalid, 15 wrong credentials, 18 recipient not found, 19 sender not
registered, 20 system error, 21 file processing error, 22 edXML not per standard, 23 recipient locked) and
``message``.

Operations:

* ``POST sendEdoc``: multipart ``edocFile`` (the .edxml) and ``messageType`` (edoc, status, revocation,
  update, replacement) → ``docId``.
* ``GET syncReceivedEdocList``: ``messageType``, ``fromDate``/``toDate`` (``yyyy/MM/dd``) → ``count``,
  ``data`` [docId, from, to, status, statusDesc, serviceType, messageType, createdTime, updatedTime].
* ``GET getEdoc``: ``docId`` → ``data`` {docId, from, messageType, edxml (base64), trace}.
* ``GET getEdocFile``: ``docId`` → the packet itself (``application/xml``), streamed, for large packets.
* ``POST updateStatus``: JSON or form ``docId``, ``status`` (done, fail), ``reason``.
* ``GET getAgencyList`` → ``data`` [code, name] of the agencies reachable through this hub.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from egov.core import context
from egov.exchange import hub
from egov.exchange.hub import HubError
from egov.exchange.models import Delivery, HubOrgan, HubSystem

logger = logging.getLogger(__name__)

STATUS_TEXT = {
    Delivery.State.PENDING: ("inbox", "Chờ nhận"),
    Delivery.State.FETCHED: ("processing", "Đã lấy, chờ xác nhận"),
    Delivery.State.DONE: ("done", "Đã nhận"),
    Delivery.State.FAILED: ("fail", "Lỗi"),
}


def _error(code: int, message: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"success": False, "errorCode": code, "message": message}, status=status)


def _ok(**data: Any) -> JsonResponse:
    return JsonResponse({"success": True, "errorCode": 0, "message": "OK", **data})


View = Callable[..., HttpResponseBase]


def lgsp_view(view: Callable[[HttpRequest, HubSystem], HttpResponseBase]) -> View:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponseBase:
        try:
            system = hub.authenticate(
                request.headers.get("X-SystemId", ""), request.headers.get("X-SecretKey", "")
            )
            context.update(source="lgsp")
            return view(request, system)
        except HubError as exc:
            status = 401 if exc.code == HubError.BAD_CREDENTIALS else 200
            return _error(exc.code, exc.message, status)
        except Exception:
            logger.exception("LGSP %s failed", request.path)
            return _error(HubError.SYSTEM_ERROR, "Lỗi hệ thống trục liên thông.", 500)

    return wrapper


@require_POST
@lgsp_view
def send_edoc(request: HttpRequest, system: HubSystem) -> HttpResponse:
    upload = request.FILES.get("edocFile")
    if upload is None:
        raise HubError(HubError.FILE_INVALID, "Thiếu tệp edocFile.")
    message_type = request.POST.get("messageType", "edoc").strip().lower() or "edoc"
    trace: list[dict[str, Any]] = []
    if system.is_parent or request.headers.get("X-Egov-Trace"):
        try:
            trace = json.loads(request.headers.get("X-Egov-Trace", "[]"))[:20]
        except ValueError:
            trace = []
    packet = hub.accept_packet(
        system=system, stream=upload.chunks(), message_type=message_type, trace_from=trace
    )
    return _ok(docId=str(packet.id))


def _parse_day(value: str) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar day, no time
        except ValueError:
            continue
    raise HubError(HubError.FILE_INVALID, f"Ngày “{value}” không đúng dạng yyyy/MM/dd.")


def _local_midnight(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@require_GET
@lgsp_view
def sync_received(request: HttpRequest, system: HubSystem) -> HttpResponse:
    since, until = _parse_day(request.GET.get("fromDate", "")), _parse_day(request.GET.get("toDate", ""))
    deliveries = hub.received(
        system,
        message_type=request.GET.get("messageType", "").strip().lower(),
        since=_local_midnight(since) if since else None,
        until=_local_midnight(until + dt.timedelta(days=1)) if until else None,
        include_done=request.GET.get("includeDone") == "true",
    )
    data = []
    for d in deliveries:
        status, desc = STATUS_TEXT[Delivery.State(d.state)]
        data.append(
            {
                "docId": str(d.packet_id),
                "from": d.packet.sender_organ_id,
                "to": d.organ_id,
                "status": status,
                "statusDesc": desc,
                "serviceType": "eDoc",
                "messageType": d.packet.message_type,
                "documentId": d.packet.document_id,
                "statusCode": d.packet.status_code,
                "createdTime": d.created_at.isoformat(),
                "updatedTime": (d.done_at or d.fetched_at or d.created_at).isoformat(),
            }
        )
    return _ok(count=len(data), data=data)


@require_GET
@lgsp_view
def get_edoc(request: HttpRequest, system: HubSystem) -> HttpResponse:
    delivery = hub.delivery_for(system, request.GET.get("docId", ""))
    with delivery.packet.file.open("rb") as fh:
        content = base64.b64encode(fh.read()).decode("ascii")
    hub.mark_fetched(delivery)
    p = delivery.packet
    return _ok(
        data={
            "docId": str(p.id),
            "from": p.sender_organ_id,
            "messageType": p.message_type,
            "documentId": p.document_id,
            "statusCode": p.status_code,
            "sha256": p.sha256,
            "edxml": content,
            "trace": p.trace,
        }
    )


@require_GET
@lgsp_view
def get_edoc_file(request: HttpRequest, system: HubSystem) -> HttpResponseBase:
    delivery = hub.delivery_for(system, request.GET.get("docId", ""))
    hub.mark_fetched(delivery)
    response = FileResponse(delivery.packet.file.open("rb"), content_type="application/xml")
    response["X-Content-SHA256"] = delivery.packet.sha256
    response["X-Egov-Trace"] = json.dumps(delivery.packet.trace)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@lgsp_view
def update_status(request: HttpRequest, system: HubSystem) -> HttpResponse:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise HubError(HubError.FILE_INVALID, "JSON không hợp lệ.") from exc
    else:
        body = request.POST
    hub.acknowledge(
        system=system,
        doc_id=str(body.get("docId", "")),
        status=str(body.get("status", "")),
        reason=str(body.get("reason", "")),
    )
    return _ok()


@require_GET
@lgsp_view
def agency_list(request: HttpRequest, system: HubSystem) -> HttpResponse:
    organs = HubOrgan.objects.filter(active=True).order_by("organ_id").values_list("organ_id", "name")
    return _ok(data=[{"code": code, "name": name} for code, name in organs])
