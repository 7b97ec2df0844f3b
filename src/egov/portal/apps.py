from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "egov.portal"
    label = "portal"
    verbose_name = "Cổng dịch vụ công / Citizen portal"
