from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import egov


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: database reachability, age of the freshest worker heartbeat, version."""
    from egov.core.models import WorkerHeartbeat

    body: dict[str, object] = {"version": egov.__version__, "time": timezone.now().isoformat()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    except DatabaseError as exc:
        body.update(
            status="error", database="unreachable", error=exc.__class__.__name__, worker_heartbeat_age=None
        )
        return JsonResponse(body, status=503)
    age = round((timezone.now() - last).total_seconds(), 1) if last else None
    body.update(status="ok", database="ok", worker_heartbeat_age=age, workers_seen=last is not None)
    return JsonResponse(body)
