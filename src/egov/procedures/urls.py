"""Public pages of the procedure catalogue (mounted at the site root by ``egov.urls``)."""

from django.urls import path

from egov.procedures import views

urlpatterns = [
    path("procedures/forms/<int:paper_id>/", views.form_download, name="procedure-form"),
]
