"""Routes of the procedure catalogue API under ``/api/v1/`` (names in the ``procedures-api`` namespace)."""

from rest_framework.routers import SimpleRouter

from egov.procedures.api import views

app_name = "procedures-api"

router = SimpleRouter()
router.register("procedures", views.ProcedureViewSet, basename="procedure")
router.register("procedure-fields", views.FieldViewSet, basename="procedure-field")
router.register("procedure-groups", views.GroupViewSet, basename="procedure-group")

urlpatterns = router.urls
