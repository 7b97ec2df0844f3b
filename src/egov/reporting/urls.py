"""Staff pages of reporting (``/bao-cao/``) and the public transparency page (``/dich-vu-cong/minh-bach/``),
mounted at the site root by ``egov.urls`` before the portal."""

from django.urls import path

from egov.reporting import views

app_name = "reporting"

urlpatterns = [
    path("bao-cao/", views.report_list, name="list"),
    path("bao-cao/<int:pk>/", views.report_detail, name="report"),
    path("bao-cao/dieu-hanh/", views.dashboard, name="dashboard"),
    path("bao-cao/dieu-hanh/xuat.<str:fmt>", views.dashboard_export, name="dashboard-export"),
    path("dich-vu-cong/minh-bach/", views.transparency, name="transparency"),
]
