"""Routes of egov's own exchange API under ``/api/v1/exchange/`` (namespace ``exchange-api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from egov.exchange.api import views

app_name = "exchange-api"

router = SimpleRouter()
router.register("exchange/inbox", views.InboxViewSet, basename="inbox")
router.register("exchange/outbox", views.OutboxViewSet, basename="outbox")

urlpatterns = [
    path("exchange/packets/", views.PacketSubmitView.as_view(), name="packet-send"),
    path("exchange/organs/", views.OrganListView.as_view(), name="organ-list"),
    path("exchange/systems/", views.SystemListView.as_view(), name="system-list"),
    *router.urls,
]
