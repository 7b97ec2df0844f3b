"""Routes of the reporting API under ``/api/v1/reporting/`` (names in the ``reporting-api`` namespace)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from egov.reporting.api import views

app_name = "reporting-api"

router = SimpleRouter()
router.register("reporting/regimes", views.RegimeViewSet, basename="regime")
router.register("reporting/indicators", views.IndicatorViewSet, basename="indicator")
router.register("reporting/periods", views.PeriodViewSet, basename="period")
router.register("reporting/reports", views.ReportViewSet, basename="report")
router.register("reporting/submissions", views.SubmissionViewSet, basename="submission")

urlpatterns = [
    path(
        "reporting/platform-indicators/", views.PlatformIndicatorsView.as_view(), name="platform-indicators"
    ),
    *router.urls,
]
