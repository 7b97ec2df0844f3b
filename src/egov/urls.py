from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from egov.core.views import healthz
from egov.directory.auth_views import admin_login

# The admin signs in through egov's own login (password, then the TOTP code when the user has a device),
# never through Django's password-only admin form.
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = "egov — Quản trị hệ thống"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("egov.api_urls")),
    path("lgsp/v1/", include("egov.exchange.lgsp_urls")),
    path("", include("egov.reporting.urls")),
    path("dich-vu-cong/", include("egov.portal.urls")),
    path("", include("egov.notify.urls")),
    path("", include("egov.procedures.urls")),
    path("mot-cua/", include("egov.dossiers.urls")),
    path("", include("egov.documents.urls")),
    path("", include("egov.directory.urls")),
]
