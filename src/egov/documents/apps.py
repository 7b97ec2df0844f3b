from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "egov.documents"
    label = "documents"
    verbose_name = "Quản lý văn bản / Documents"
