from django.contrib.auth import views as django_auth_views
from django.urls import path

from egov.directory import auth_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("directory/", views.directory, name="directory"),
    path("directory/<int:pk>/children/", views.agency_children, name="agency-children"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("agencies/<int:pk>/edit/", views.agency_edit, name="agency-edit"),
    path("agencies/<int:pk>/add-child/", views.agency_add_child, name="agency-add-child"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("profile/", views.profile, name="profile"),
    # Accounts
    path("login/", auth_views.StaffLoginView.as_view(), name="login"),
    path("login/verify/", auth_views.otp_verify, name="otp-verify"),
    path("logout/", auth_views.StaffLogoutView.as_view(), name="logout"),
    path("profile/two-factor/", auth_views.otp_setup, name="otp-setup"),
    path("profile/password/", auth_views.password_change, name="password_change"),
    path("profile/password/done/", auth_views.password_change_done, name="password_change_done"),
    path("password-reset/", auth_views.StaffPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        django_auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.StaffPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        django_auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
