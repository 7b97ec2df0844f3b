"""Cổng dịch vụ công (citizen portal), mounted at ``/dich-vu-cong/`` by ``egov.urls``.

``tra-cuu/<code>/`` (``portal:status``) is printed as a QR code on the dossier forms: keep the path."""

from django.urls import path

from egov.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.search, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("thu-tuc/<str:code>/nop-ho-so/", views.submit, name="submit"),
    path("lien-thong/<str:code>/nop-ho-so/", views.submit_group, name="group-submit"),
    path("lien-thong/ho-so/<str:code>/", views.group_detail, name="group"),
    path("ho-so/", views.my_dossiers, name="my-dossiers"),
    path("ho-so/<int:pk>/", views.dossier_detail, name="dossier"),
    path("ho-so/<int:pk>/da-nop/", views.submitted, name="submitted"),
    path("ho-so/<int:pk>/bo-sung/", views.supplement, name="supplement"),
    path("ho-so/<int:pk>/rut/", views.withdraw, name="withdraw"),
    path("ho-so/<int:pk>/thanh-toan/", views.pay, name="pay"),
    path("ho-so/<int:pk>/danh-gia/", views.rate, name="rate"),
    path("ho-so/<int:pk>/phan-anh/", views.feedback, name="feedback"),
    path("ho-so/<int:pk>/ket-qua/", views.result_download, name="result"),
    path("ho-so/<int:pk>/giay-to/<int:paper_id>/", views.paper_download, name="paper"),
    path("ho-so/<int:pk>/mau/<str:form>/", views.printout, name="printout"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("tra-cuu/<str:code>/", views.status, name="status"),
    path("dang-nhap/", views.CitizenLoginView.as_view(), name="login"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("quen-mat-khau/", views.password_reset, name="password-reset"),
    path("quen-mat-khau/da-gui/", views.password_reset_done, name="password-reset-done"),
    path(
        "dat-lai-mat-khau/<str:uidb64>/<str:token>/",
        views.CitizenPasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("dat-lai-mat-khau/xong/", views.password_reset_complete, name="password-reset-complete"),
]
