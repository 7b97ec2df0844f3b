"""The interface every SMS provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from egov.notify.sms.encoding import EncodedSms


class ProviderError(Exception):
    """Base of provider failures."""


class TemporaryFailure(ProviderError):
    """The provider could not be reached or asked to retry later (connection refused, timeout, 5xx,
    throttling): the message is retried with backoff. Nothing was accepted."""


class PermanentFailure(ProviderError):
    """The provider refused the message (bad number, rejected content): retrying cannot help."""


class UnknownOutcome(ProviderError):
    """The message went out but no answer came back (connection lost after submitting): it may have been
    accepted. Sent again only through an idempotent provider; otherwise the message fails with the reason
    shown to the officer, rather than risk a duplicate."""


@dataclass(frozen=True)
class OutgoingSms:
    reference: str  # the message's UUID: client reference and idempotency key at the provider
    to: str  # international form without "+", e.g. 84912345678
    sms: EncodedSms
    sender: str


@dataclass(frozen=True)
class Receipt:
    reference: str  # the provider's message id
    state: str  # DeliveryReceipt.State value: accepted, delivered, failed
    error: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class SendResult:
    references: list[str]  # provider ids, one per part (or one for the whole message)
    receipts: list[Receipt] = field(default_factory=list)  # receipts read in the same session


class SmsProvider:
    name: ClassVar[str] = ""
    # True when the provider deduplicates by our reference (an idempotency key): a message whose outcome is
    # unknown (worker died after sending) may then be sent again safely.
    idempotent: ClassVar[bool] = False

    def send(self, message: OutgoingSms) -> SendResult:
        raise NotImplementedError
