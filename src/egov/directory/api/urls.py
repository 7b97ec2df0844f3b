"""Routes of the directory API under ``/api/v1/`` (names in the ``directory-api`` namespace)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from egov.directory.api import views

app_name = "directory-api"

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("people", views.PersonViewSet, basename="person")
router.register("positions", views.PositionViewSet, basename="position")
router.register("delegations", views.DelegationViewSet, basename="delegation")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
