from django.urls import path

from egov.directory import views

urlpatterns = [
    path("", views.home, name="home"),
]
