from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import egov


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"EGOV_VERSION": egov.__version__}
