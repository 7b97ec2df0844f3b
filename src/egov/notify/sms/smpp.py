"""SMPP 3.4 provider (``smpplib``): bind_transceiver, one ``submit_sm`` per part, delivery receipts.

Long messages go as concatenated parts, with a user data header (``esm_class`` 0x40, the default) or with
the ``sar_msg_ref_num``/``sar_total_segments``/``sar_segment_seqnum`` options (``EGOV_SMPP_CONCAT=sar``),
as the operator's SMSC requires. Vietnamese text is UCS-2 (``data_coding`` 0x08).

Receipts: every submit asks for one (``registered_delivery`` 1). They arrive as ``deliver_sm`` on a bound
receiver or transceiver session of the same ``system_id``. The provider keeps its transceiver session open
for ``EGOV_SMPP_RECEIPT_WAIT_SECONDS`` after the last ``submit_sm_resp`` and applies the receipts that come
in that window; later receipts are taken by ``egov manage notify smpp-listen``, a long-running receiver
(see docs/notify.md). Receipts are stored by message id and matched whenever both sides are known, so the
order in which they arrive does not matter.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from egov.notify.sms.base import (
    OutgoingSms,
    PermanentFailure,
    Receipt,
    SendResult,
    SmsProvider,
    TemporaryFailure,
    UnknownOutcome,
)
from egov.notify.sms.encoding import udh
from egov.notify.sms.registry import register

logger = logging.getLogger("egov.notify.smpp")

# SMPP command statuses worth retrying: system error, queue full, throttled, temporary app error.
TEMPORARY_STATUSES = {0x08, 0x14, 0x58, 0x64}
# message_state (SMPP 3.4 §5.2.28) -> DeliveryReceipt.State
MESSAGE_STATES = {
    1: "accepted",
    2: "delivered",
    3: "failed",
    4: "failed",
    5: "failed",
    6: "accepted",
    8: "failed",
}
RECEIPT_STATS = {"DELIVRD": "delivered", "ACCEPTD": "accepted", "ENROUTE": "accepted"}
ID_RE = re.compile(r"\bid:(\S+)", re.IGNORECASE)
STAT_RE = re.compile(r"\bstat:(\w+)", re.IGNORECASE)
ERR_RE = re.compile(r"\berr:(\w+)", re.IGNORECASE)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1", errors="replace")
    return "" if value is None else str(value)


def parse_receipt(pdu: Any) -> Receipt | None:
    """A ``deliver_sm`` that is a delivery receipt (esm_class bit 2) -> Receipt; anything else -> None."""
    if not (int(getattr(pdu, "esm_class", 0) or 0) & 0x04):
        return None
    body = _text(getattr(pdu, "short_message", b""))
    reference = _text(getattr(pdu, "receipted_message_id", None)).strip("\x00") or (
        m.group(1) if (m := ID_RE.search(body)) else ""
    )
    if not reference:
        return None
    state_code = getattr(pdu, "message_state", None)
    stat = m.group(1).upper() if (m := STAT_RE.search(body)) else ""
    if state_code:
        state = MESSAGE_STATES.get(int(state_code), "failed")
    else:
        state = RECEIPT_STATS.get(stat, "failed" if stat else "accepted")
    err = m.group(1) if (m := ERR_RE.search(body)) else ""
    error = "" if state != "failed" else f"stat:{stat or state_code} err:{err}"
    return Receipt(reference=reference, state=state, error=error, raw={"text": body[:500]})


def _client(timeout: float) -> smpplib.client.Client:
    host = settings.EGOV_SMPP_HOST
    if not host:
        raise ImproperlyConfigured("EGOV_SMS_PROVIDER=smpp needs EGOV_SMPP_HOST")
    return smpplib.client.Client(
        host,
        settings.EGOV_SMPP_PORT,
        timeout=timeout,
        allow_unknown_opt_params=True,
        logger_name="egov.notify.smpp.client",
    )


def _bind(client: smpplib.client.Client, mode: str) -> None:
    try:
        client.connect()
        getattr(client, f"bind_{mode}")(
            system_id=settings.EGOV_SMPP_SYSTEM_ID,
            password=settings.EGOV_SMPP_PASSWORD,
            system_type=settings.EGOV_SMPP_SYSTEM_TYPE,
        )
    except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
        _close(client)
        raise TemporaryFailure(f"SMSC {settings.EGOV_SMPP_HOST}:{settings.EGOV_SMPP_PORT}: {exc}") from exc


def _close(client: smpplib.client.Client) -> None:
    try:
        if client.state in (
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX,
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_RX,
            smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX,
        ):
            client.unbind()
    except Exception as exc:  # closing anyway
        logger.debug("smpp: unbind failed: %s", exc)
    try:
        client.disconnect()
    except Exception as exc:
        logger.debug("smpp: disconnect failed: %s", exc)


def _answer(client: smpplib.client.Client, pdu: Any, on_receipt: Callable[[Receipt], Any]) -> None:
    """Handle a PDU the SMSC sent on its own initiative. A receipt is handed over (stored) before the
    ``deliver_sm_resp``: if storing fails the SMSC gets no answer and delivers the receipt again."""
    if pdu.command == "deliver_sm":
        receipt = parse_receipt(pdu)
        if receipt:
            on_receipt(receipt)
        resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
        resp.sequence = pdu.sequence
        client.send_pdu(resp)
    elif pdu.command == "enquire_link":
        resp = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
        resp.sequence = pdu.sequence
        client.send_pdu(resp)


def _is_sender_numeric(sender: str) -> bool:
    return sender.isdigit()


@register("smpp")
class SmppProvider(SmsProvider):
    idempotent = False

    def __init__(self) -> None:
        self.timeout = settings.EGOV_SMPP_TIMEOUT
        self.receipt_wait = settings.EGOV_SMPP_RECEIPT_WAIT_SECONDS
        self.concat = settings.EGOV_SMPP_CONCAT
        if self.concat not in ("udh", "sar"):
            raise ImproperlyConfigured("EGOV_SMPP_CONCAT must be 'udh' or 'sar'")
        if not settings.EGOV_SMPP_HOST:
            raise ImproperlyConfigured("EGOV_SMS_PROVIDER=smpp needs EGOV_SMPP_HOST")

    def _submit_params(self, message: OutgoingSms) -> list[dict[str, Any]]:
        sms = message.sms
        total = sms.segments
        ref = int(message.reference.replace("-", "")[:4], 16)  # stable per message, 16 bits
        params = []
        for seq, payload in enumerate(sms.parts, start=1):
            p: dict[str, Any] = {
                "source_addr_ton": 1 if _is_sender_numeric(message.sender) else 5,
                "source_addr_npi": 1 if _is_sender_numeric(message.sender) else 0,
                "source_addr": message.sender,
                "dest_addr_ton": 1,
                "dest_addr_npi": 1,
                "destination_addr": message.to,
                "data_coding": sms.data_coding,
                "registered_delivery": 1,
                "esm_class": 0,
                "short_message": payload,
            }
            if total > 1 and self.concat == "udh":
                p["esm_class"] = 0x40
                p["short_message"] = udh(ref & 0xFF, total, seq) + payload
            elif total > 1:
                p.update(sar_msg_ref_num=ref, sar_total_segments=total, sar_segment_seqnum=seq)
            params.append(p)
        return params

    def send(self, message: OutgoingSms) -> SendResult:
        client = _client(self.timeout)
        _bind(client, "transceiver")
        receipts: list[Receipt] = []
        references: dict[int, str] = {}
        try:
            pending: dict[int, int] = {}
            for part_no, params in enumerate(self._submit_params(message), start=1):
                try:
                    pdu = client.send_message(**params)
                except (smpplib.exceptions.ConnectionError, OSError) as exc:
                    if pending or references:
                        raise UnknownOutcome(f"connection lost after submitting part(s): {exc}") from exc
                    raise TemporaryFailure(f"SMSC connection lost: {exc}") from exc
                pending[pdu.sequence] = part_no
            errors: list[tuple[int, int]] = []
            while pending:
                try:
                    pdu = client.read_pdu()
                except (TimeoutError, smpplib.exceptions.ConnectionError, OSError) as exc:
                    raise UnknownOutcome(f"no answer from the SMSC to submit_sm: {exc}") from exc
                if pdu.command in ("submit_sm_resp", "generic_nack") and pdu.sequence in pending:
                    part_no = pending.pop(pdu.sequence)
                    if pdu.is_error():
                        errors.append((part_no, int(pdu.status)))
                    else:
                        references[part_no] = _text(pdu.message_id).strip("\x00")
                else:
                    _answer(client, pdu, receipts.append)
            if errors:
                codes = ", ".join(f"part {n}: 0x{s:08X}" for n, s in errors)
                if references:
                    raise PermanentFailure(
                        f"SMSC accepted {len(references)} of {message.sms.segments} parts and refused the "
                        f"others ({codes}); not resent, to avoid duplicates"
                    )
                if all(s in TEMPORARY_STATUSES for _, s in errors):
                    raise TemporaryFailure(f"SMSC asked to retry ({codes})")
                raise PermanentFailure(f"SMSC refused the message ({codes})")
            refs = [references[n] for n in sorted(references)]
            self._wait_receipts(client, set(refs), receipts)
            return SendResult(references=refs, receipts=receipts)
        finally:
            _close(client)

    def _wait_receipts(self, client: smpplib.client.Client, refs: set[str], receipts: list[Receipt]) -> None:
        deadline = time.monotonic() + self.receipt_wait
        while time.monotonic() < deadline:
            final = {r.reference for r in receipts if r.state in ("delivered", "failed")}
            if refs <= final:
                return
            try:
                client._socket.settimeout(max(0.05, deadline - time.monotonic()))
                pdu = client.read_pdu()
            except (TimeoutError, smpplib.exceptions.ConnectionError, OSError):
                return
            _answer(client, pdu, receipts.append)


def listen(
    on_receipt: Callable[[Receipt], None],
    *,
    stop: threading.Event | None = None,
    poll_seconds: float = 1.0,
    enquire_every: float = 30.0,
) -> None:
    """Bind as a receiver and hand every delivery receipt to ``on_receipt`` until ``stop`` is set.
    Reconnects with backoff when the SMSC goes away."""
    stop = stop or threading.Event()
    delay = 1.0
    while not stop.is_set():
        client = _client(poll_seconds)
        try:
            _bind(client, "receiver")
        except TemporaryFailure as exc:
            logger.warning("smpp-listen: %s; retrying in %.0fs", exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 60)
            continue
        delay = 1.0
        last_activity = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    pdu = client.read_pdu()
                except TimeoutError:
                    if time.monotonic() - last_activity > enquire_every:
                        client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
                        last_activity = time.monotonic()
                    continue
                last_activity = time.monotonic()
                _answer(client, pdu, on_receipt)
        except (smpplib.exceptions.ConnectionError, OSError) as exc:
            logger.warning("smpp-listen: connection lost: %s", exc)
        finally:
            _close(client)
