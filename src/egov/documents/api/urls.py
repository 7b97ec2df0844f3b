"""Routes of the documents API under ``/api/v1/`` (names in the ``documents-api`` namespace)."""

from rest_framework.routers import SimpleRouter

from egov.documents.api import views

app_name = "documents-api"

router = SimpleRouter()
router.register("document-types", views.DocumentTypeViewSet, basename="document-type")
router.register("registers", views.RegisterViewSet, basename="register")
router.register("incoming", views.IncomingViewSet, basename="incoming")
router.register("outgoing", views.OutgoingViewSet, basename="outgoing")
router.register("files", views.FileViewSet, basename="file")

urlpatterns = router.urls
