from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "egov.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ một cửa / Dossiers"
