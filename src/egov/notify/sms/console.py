"""Development provider: writes the SMS to the log; the message is recorded as sent."""

from __future__ import annotations

import logging

from egov.notify.sms.base import OutgoingSms, SendResult, SmsProvider
from egov.notify.sms.registry import register

logger = logging.getLogger("egov.notify.sms")


@register("console")
class ConsoleProvider(SmsProvider):
    idempotent = True

    def send(self, message: OutgoingSms) -> SendResult:
        logger.info(
            "SMS (console) to %s from %s, %s, %d part(s): %s",
            message.to,
            message.sender,
            message.sms.encoding,
            message.sms.segments,
            message.sms.text,
        )
        return SendResult(references=[f"console-{message.reference}"])
