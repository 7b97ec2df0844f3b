"""Staff pages of document management (mounted at the site root by ``egov.urls``)."""

from django.urls import path

from egov.documents import views

urlpatterns = [
    path("documents/", views.inbox, name="documents-inbox"),
    path("documents/search/", views.search, name="documents-search"),
    path("documents/files/<int:pk>/", views.document_file, name="document-file"),
    # Incoming
    path("documents/incoming/", views.incoming_list, name="incoming-list"),
    path("documents/incoming/new/", views.incoming_register, name="incoming-register"),
    path("documents/incoming/duplicates/", views.incoming_duplicates, name="incoming-duplicates"),
    path("documents/incoming/export/", views.incoming_export, name="incoming-export"),
    path("documents/incoming/<int:pk>/", views.incoming_detail, name="incoming-detail"),
    path("documents/incoming/<int:pk>/accept/", views.incoming_accept, name="incoming-accept"),
    path("documents/incoming/<int:pk>/refuse/", views.incoming_refuse, name="incoming-refuse"),
    path("documents/incoming/<int:pk>/present/", views.incoming_present, name="incoming-present"),
    path("documents/incoming/<int:pk>/assign/", views.incoming_assign, name="incoming-assign"),
    path("documents/incoming/<int:pk>/opinion/", views.incoming_opinion, name="incoming-opinion"),
    path("documents/incoming/<int:pk>/forward/", views.incoming_forward, name="incoming-forward"),
    path("documents/incoming/<int:pk>/complete/", views.incoming_complete, name="incoming-complete"),
    path("documents/incoming/<int:pk>/revocation/", views.incoming_revocation, name="incoming-revocation"),
    # Outgoing
    path("documents/outgoing/", views.outgoing_list, name="outgoing-list"),
    path("documents/outgoing/new/", views.outgoing_draft, name="outgoing-draft"),
    path("documents/outgoing/recipients/", views.recipient_search, name="outgoing-recipient-search"),
    path("documents/outgoing/recipients/pick/", views.recipient_pick, name="outgoing-recipient-pick"),
    path("documents/outgoing/export/", views.outgoing_export, name="outgoing-export"),
    path("documents/outgoing/<int:pk>/", views.outgoing_detail, name="outgoing-detail"),
    path("documents/outgoing/<int:pk>/submit/", views.outgoing_submit, name="outgoing-submit"),
    path("documents/outgoing/<int:pk>/review/", views.outgoing_review, name="outgoing-review"),
    path("documents/outgoing/<int:pk>/approve/", views.outgoing_approve, name="outgoing-approve"),
    path("documents/outgoing/<int:pk>/sign/", views.outgoing_sign, name="outgoing-sign"),
    path("documents/outgoing/<int:pk>/issue/", views.outgoing_issue, name="outgoing-issue"),
    path("documents/outgoing/<int:pk>/revoke/", views.outgoing_revoke, name="outgoing-revoke"),
]
