from django.urls import path

from egov.notify import views

app_name = "notify"

urlpatterns = [
    path("notify/callback/<slug:provider>/", views.callback, name="callback"),
]
