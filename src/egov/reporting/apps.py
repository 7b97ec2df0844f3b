from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "egov.reporting"
    label = "reporting"
    verbose_name = "Hệ thống thông tin báo cáo / Reporting"

    def ready(self) -> None:
        from egov.reporting import facts

        facts.connect()
