from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "egov.documents"
    label = "documents"
    verbose_name = "Quản lý văn bản / Documents"

    def ready(self) -> None:
        from egov.documents import receivers  # noqa: F401  (connects the signal receivers)
