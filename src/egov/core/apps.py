from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "egov.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from egov.core import (
            checks,  # noqa: F401  (registers the production checks)
            schedules,
        )

        schedules.autodiscover()
