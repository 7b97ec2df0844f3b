from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "egov.signing"
    label = "signing"
    verbose_name = "Chữ ký số / Digital signatures"

    def ready(self) -> None:
        from egov.signing import checks  # noqa: F401 - registers the system checks
