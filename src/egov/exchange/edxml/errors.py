"""Errors raised by the edXML codec.

Every rejection is an :class:`EdxmlError` whose message is one line naming the problem, for example
``"line 1: not well-formed: Start tag expected, '<' not found"``, ``"DOCTYPE not allowed"`` or
``"MessageHeader/From/OrganId missing"``. Subclasses let callers tell the families apart.
"""

from __future__ import annotations


class EdxmlError(ValueError):
    """A packet (or a model to be written) is not acceptable; ``str(error)`` says why, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class EdxmlSyntaxError(EdxmlError):
    """Not well-formed XML, not namespace-well-formed, or forbidden markup (DOCTYPE, entities)."""


class EdxmlSizeError(EdxmlError):
    """A configured size limit was exceeded (packet, attachment, number of attachments)."""


class EdxmlContentError(EdxmlError):
    """Well-formed XML whose content is missing or invalid (identifiers, codes, base64, digests)."""


class EdxmlSignatureError(EdxmlError):
    """A standard XML-DSig signature does not match the packet (or a signature is required and missing)."""
