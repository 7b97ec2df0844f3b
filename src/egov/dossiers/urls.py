"""Staff pages of the one-stop shop (Bộ phận Một cửa), mounted at ``/mot-cua/`` by ``egov.urls``."""

from django.urls import path

from egov.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tiep-nhan/", views.desk, name="desk"),
    path("tiep-nhan/<int:agency_pk>/<int:procedure_pk>/", views.desk_receive, name="desk-receive"),
    path("thong-ke/", views.statistics, name="statistics"),
    path("thong-ke/so-theo-doi/", views.book, name="book"),
    path("ho-so/<int:pk>/", views.detail, name="detail"),
    path("ho-so/<int:pk>/giay-to/<int:paper_pk>/", views.paper_file, name="paper-file"),
    path("ho-so/<int:pk>/ket-qua/", views.result_file, name="result-file"),
    path("ho-so/<int:pk>/mau-<str:form>/", views.printout, name="printout"),
    path("ho-so/<int:pk>/<str:name>/", views.action, name="action"),
]
