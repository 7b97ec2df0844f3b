"""The staff menu of ``base.html`` by role: which sections concern the signed-in user.

:func:`menu` is a context processor. It returns a lazy :class:`Menu`: nothing is read until the template
asks (only staff pages render the menu), and the answers are computed once per request (kept on the request,
so every template rendered for it shares them), from one read of the user's roles (positions and active
delegations).

* **Một cửa** (one-stop shop): :func:`egov.dossiers.selectors.works_at_one_stop`.
* **Báo cáo** (reports and the leader dashboard): :func:`egov.reporting.selectors.can_use_reporting`.

The menu only hides links; each page keeps its own permission check.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest


class Menu:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = getattr(request, "user", None)

    @cached_property
    def staff(self) -> bool:
        user = self.user
        return bool(
            user is not None and user.is_authenticated and getattr(user, "is_government_staff", False)
        )

    @cached_property
    def system_admin(self) -> bool:
        if not self.staff:
            return False
        # Shared with the ``is_system_admin`` template tag of the header.
        cached = getattr(self.request, "_egov_is_system_admin", None)
        if cached is None:
            from egov.directory.selectors import is_system_admin

            cached = is_system_admin(self.user)
            self.request._egov_is_system_admin = cached  # type: ignore[attr-defined]
        return bool(cached)

    @cached_property
    def pairs(self) -> list[tuple[Any, str]]:
        from egov.directory.selectors import acting_roles

        if self.user is None or not self.staff or self.system_admin:
            return []
        return acting_roles(self.user)

    @cached_property
    def one_stop(self) -> bool:
        if not self.staff:
            return False
        if self.system_admin:
            return True
        from egov.dossiers.selectors import works_at_one_stop

        return works_at_one_stop(self.user, self.pairs, is_admin=False)

    @cached_property
    def reporting(self) -> bool:
        if not self.staff:
            return False
        from egov.reporting.selectors import can_use_reporting

        return can_use_reporting(self.user, self.pairs, is_admin=self.system_admin)


def menu(request: HttpRequest) -> dict[str, Any]:
    cached = getattr(request, "_egov_menu", None)
    if cached is None:
        cached = Menu(request)
        request._egov_menu = cached  # type: ignore[attr-defined]
    return {"menu": cached}
