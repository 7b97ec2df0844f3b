"""``/api/v1/``: each app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("egov.directory.api.urls")),
    path("", include("egov.documents.api.urls")),
    path("", include("egov.procedures.api.urls")),
    path("", include("egov.exchange.api.urls")),
    path("", include("egov.dossiers.api.urls")),
    path("", include("egov.reporting.api.urls")),
]
