from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "egov.exchange"
    label = "exchange"
    verbose_name = "Liên thông văn bản / Document exchange"

    def ready(self) -> None:
        from egov.documents.models import IncomingDocument, OutgoingDocument
        from egov.documents.outgoing import outgoing_issuing, outgoing_revoking
        from egov.documents.signals import incoming_status_changing
        from egov.exchange import agency, routing

        routing.connect_signals()

        outgoing_issuing.connect(
            agency.on_outgoing_issuing, sender=OutgoingDocument, dispatch_uid="exchange.outbox"
        )
        outgoing_revoking.connect(
            agency.on_outgoing_revoking, sender=OutgoingDocument, dispatch_uid="exchange.revoke"
        )
        incoming_status_changing.connect(
            agency.on_incoming_status_changing, sender=IncomingDocument, dispatch_uid="exchange.status"
        )
