from django.urls import path

from egov.exchange import lgsp

app_name = "lgsp"

urlpatterns = [
    path("sendEdoc", lgsp.send_edoc, name="send-edoc"),
    path("syncReceivedEdocList", lgsp.sync_received, name="sync-received"),
    path("getReceivedEdocList", lgsp.sync_received, name="received-list"),
    path("getEdoc", lgsp.get_edoc, name="get-edoc"),
    path("getEdocFile", lgsp.get_edoc_file, name="get-edoc-file"),
    path("updateStatus", lgsp.update_status, name="update-status"),
    path("getAgencyList", lgsp.agency_list, name="agency-list"),
]
