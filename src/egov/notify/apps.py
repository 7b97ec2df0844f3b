from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "egov.notify"
    label = "notify"
    verbose_name = "Thông báo SMS, e-mail / Notifications"
