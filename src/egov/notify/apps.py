from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "egov.notify"
    label = "notify"
    verbose_name = "Thông báo SMS, e-mail / Notifications"

    def ready(self) -> None:
        from egov.notify import checks  # noqa: F401  (registers the system checks)
