from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "egov.procedures"
    label = "procedures"
    verbose_name = "Thủ tục hành chính / Procedures"
