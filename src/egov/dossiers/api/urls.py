"""Routes of the dossiers API under ``/api/v1/`` (names in the ``dossiers-api`` namespace)."""

from rest_framework.routers import SimpleRouter

from egov.dossiers.api import public, views

app_name = "dossiers-api"

router = SimpleRouter()
router.register("dossiers", views.DossierViewSet, basename="dossier")
router.register("my/dossiers", views.MyDossierViewSet, basename="my-dossier")
router.register("my/documents", views.MyDocumentViewSet, basename="my-document")
router.register("dossier-groups", views.DossierGroupViewSet, basename="dossier-group")
router.register("my/dossier-groups", views.MyDossierGroupViewSet, basename="my-dossier-group")
router.register("public/dossiers", public.PublicDossierViewSet, basename="public-dossier")

urlpatterns = router.urls
