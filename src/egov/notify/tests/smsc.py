"""A small SMSC on loopback that speaks enough SMPP 3.4 for the tests, written from the specification
(not with smpplib, so that the client's encoding is checked by an independent decoder).

It accepts bind_transceiver / bind_receiver / bind_transmitter (checking system_id and password), answers
submit_sm with submit_sm_resp and a message id, then sends a deliver_sm delivery receipt on the same session
(when the submit asked for one), answers enquire_link and unbind, and records everything it received:
``smsc.submits`` (one entry per part, with the decoded text and UDH / sar_ options) and ``smsc.messages()``
(parts reassembled into whole texts).
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from egov.notify.sms.encoding import decode

BIND_RECEIVER, BIND_TRANSMITTER, SUBMIT_SM, DELIVER_SM, UNBIND, BIND_TRANSCEIVER = (
    0x1,
    0x2,
    0x4,
    0x5,
    0x6,
    0x9,
)
ENQUIRE_LINK, GENERIC_NACK, RESP = 0x15, 0x80000000, 0x80000000
TLV_SAR_REF, TLV_SAR_TOTAL, TLV_SAR_SEQ = 0x020C, 0x020E, 0x020F
TLV_RECEIPTED_ID, TLV_MESSAGE_STATE = 0x001E, 0x0427


def _cstr(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end].decode("latin-1"), end + 1


def _pack_cstr(value: str) -> bytes:
    return value.encode("latin-1") + b"\x00"


@dataclass
class Submit:
    session: int
    source: str
    destination: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    payload: bytes  # short_message without the UDH
    udh: tuple[int, int, int] | None  # (reference, total, seqnum)
    sar: tuple[int, int, int] | None
    message_id: str
    text: str = ""


@dataclass
class ReceivedSms:
    destination: str
    source: str
    text: str
    parts: int
    data_coding: int
    message_ids: list[str] = field(default_factory=list)


class Smsc:
    def __init__(self, system_id: str = "egov", password: str = "secret") -> None:  # noqa: S107
        self.system_id, self.password = system_id, password
        self.submits: list[Submit] = []
        self.binds: list[tuple[str, str]] = []
        self.enquire_links = 0
        self.unbinds = 0
        self.receipts_sent: list[str] = []
        self.fail_statuses: list[int] = []  # command_status for the next submits (popped), e.g. 0x58
        self.send_receipts = True
        self.receipt_stat = "DELIVRD"
        self.hang_after_submits: int | None = None  # stop answering after this many submits (lost answer)
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._sessions: dict[int, tuple[socket.socket, str]] = {}
        self._session_ids = itertools.count(1)
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self.port = 0

    # --- lifecycle ---
    def start(self, port: int = 0) -> Smsc:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(16)
        server.settimeout(0.2)
        self._server, self.port = server, server.getsockname()[1]
        self._stop.clear()
        threading.Thread(target=self._accept, daemon=True, name="test-smsc").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server:
            self._server.close()
            self._server = None
        with self._lock:
            for conn, _mode in self._sessions.values():
                with contextlib.suppress(OSError):
                    conn.close()
            self._sessions.clear()

    def _accept(self) -> None:
        while not self._stop.is_set():
            server = self._server
            if server is None:
                return
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    # --- PDUs ---
    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def _send(self, conn: socket.socket, command: int, status: int, seq: int, body: bytes = b"") -> None:
        conn.sendall(struct.pack(">IIII", 16 + len(body), command, status, seq) + body)

    def _serve(self, conn: socket.socket) -> None:
        session = next(self._session_ids)
        out_seq = itertools.count(1)
        submits_here = 0
        try:
            while not self._stop.is_set():
                length, command, _status, seq = struct.unpack(">IIII", self._read(conn, 16))
                body = self._read(conn, length - 16)
                if command in (BIND_TRANSCEIVER, BIND_RECEIVER, BIND_TRANSMITTER):
                    system_id, pos = _cstr(body, 0)
                    password, pos = _cstr(body, pos)
                    mode = {BIND_TRANSCEIVER: "trx", BIND_RECEIVER: "rx", BIND_TRANSMITTER: "tx"}[command]
                    self.binds.append((mode, system_id))
                    ok = system_id == self.system_id and password == self.password
                    self._send(conn, command | RESP, 0 if ok else 0x0E, seq, _pack_cstr("test-smsc"))
                    if not ok:
                        return
                    with self._lock:
                        self._sessions[session] = (conn, mode)
                elif command == SUBMIT_SM:
                    submits_here += 1
                    if self.hang_after_submits is not None and len(self.submits) >= self.hang_after_submits:
                        self._record_submit(session, body, "")
                        time.sleep(60)
                        return
                    if self.fail_statuses:
                        self._send(conn, SUBMIT_SM | RESP, self.fail_statuses.pop(0), seq, b"\x00")
                        continue
                    message_id = f"smsc-{next(self._ids)}"
                    sub = self._record_submit(session, body, message_id)
                    self._send(conn, SUBMIT_SM | RESP, 0, seq, _pack_cstr(message_id))
                    if sub.registered_delivery & 1 and self.send_receipts:
                        self._receipt(conn, next(out_seq), sub.destination, sub.source, message_id)
                elif command == ENQUIRE_LINK:
                    self.enquire_links += 1
                    self._send(conn, ENQUIRE_LINK | RESP, 0, seq)
                elif command == UNBIND:
                    self.unbinds += 1
                    self._send(conn, UNBIND | RESP, 0, seq)
                    return
                elif command & RESP:
                    continue  # deliver_sm_resp, enquire_link_resp
                else:
                    self._send(conn, GENERIC_NACK, 0x03, seq)
        except (ConnectionError, OSError, struct.error):
            return
        finally:
            with self._lock:
                self._sessions.pop(session, None)
            with contextlib.suppress(OSError):
                conn.close()

    def _record_submit(self, session: int, body: bytes, message_id: str) -> Submit:
        _service, pos = _cstr(body, 0)
        pos += 2
        source, pos = _cstr(body, pos)
        pos += 2
        destination, pos = _cstr(body, pos)
        esm_class, _pid, _prio = body[pos], body[pos + 1], body[pos + 2]
        pos += 3
        _sched, pos = _cstr(body, pos)
        _validity, pos = _cstr(body, pos)
        registered, _replace, data_coding, _default, sm_length = body[pos : pos + 5]
        pos += 5
        short = body[pos : pos + sm_length]
        pos += sm_length
        tlvs: dict[int, bytes] = {}
        while pos + 4 <= len(body):
            tag, size = struct.unpack(">HH", body[pos : pos + 4])
            tlvs[tag] = body[pos + 4 : pos + 4 + size]
            pos += 4 + size
        header = None
        if esm_class & 0x40:
            udhl = short[0]
            ie = short[1 : 1 + udhl]
            if ie[0] == 0x00:
                header = (ie[2], ie[3], ie[4])
            elif ie[0] == 0x08:
                header = ((ie[2] << 8) | ie[3], ie[4], ie[5])
            short = short[1 + udhl :]
        sar = None
        if TLV_SAR_REF in tlvs:
            sar = (
                struct.unpack(">H", tlvs[TLV_SAR_REF])[0],
                tlvs[TLV_SAR_TOTAL][0],
                tlvs[TLV_SAR_SEQ][0],
            )
        sub = Submit(
            session,
            source,
            destination,
            esm_class,
            data_coding,
            registered,
            short,
            header,
            sar,
            message_id,
            decode(short, data_coding),
        )
        with self._lock:
            self.submits.append(sub)
        return sub

    def _receipt(self, conn: socket.socket, seq: int, source: str, destination: str, message_id: str) -> None:
        stamp = time.strftime("%y%m%d%H%M")
        text = (
            f"id:{message_id} sub:001 dlvrd:001 submit date:{stamp} done date:{stamp} "
            f"stat:{self.receipt_stat} err:000 text:"
        )
        state = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "REJECTD": 8}[
            self.receipt_stat
        ]
        short = text.encode("ascii")
        body = (
            _pack_cstr("")
            + bytes([1, 1])
            + _pack_cstr(source)
            + bytes([1, 1])
            + _pack_cstr(destination)
            + bytes([0x04, 0, 0])
            + _pack_cstr("")
            + _pack_cstr("")
            + bytes([0, 0, 0, 0, len(short)])
            + short
            + struct.pack(">HH", TLV_RECEIPTED_ID, len(message_id) + 1)
            + _pack_cstr(message_id)
            + struct.pack(">HHB", TLV_MESSAGE_STATE, 1, state)
        )
        self._send(conn, DELIVER_SM, 0, seq, body)
        self.receipts_sent.append(message_id)

    def push_receipt(self, message_id: str, destination: str = "EGOV", source: str = "84900000000") -> bool:
        """Send a receipt to a bound receiver or transceiver (late receipt, as a real SMSC does)."""
        with self._lock:
            sessions = [c for c, mode in self._sessions.values() if mode in ("rx", "trx")]
        for conn in sessions:
            self._receipt(conn, 9000 + len(self.receipts_sent), source, destination, message_id)
            return True
        return False

    # --- assertions ---
    def messages(self) -> list[ReceivedSms]:
        """Parts reassembled by (destination, reference): what the handset would show."""
        with self._lock:
            submits = [s for s in self.submits if s.message_id]
        whole: list[ReceivedSms] = []
        groups: dict[tuple[str, int, int], list[Submit]] = {}
        order: list[tuple[str, int, int]] = []
        for s in submits:
            concat = s.udh or s.sar
            if concat is None:
                whole.append(ReceivedSms(s.destination, s.source, s.text, 1, s.data_coding, [s.message_id]))
                continue
            key = (s.destination, concat[0], concat[1])
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(s)
        for key in order:
            parts = sorted(groups[key], key=lambda s: (s.udh or s.sar or (0, 0, 0))[2])
            whole.append(
                ReceivedSms(
                    key[0],
                    parts[0].source,
                    "".join(p.text for p in parts),
                    len(parts),
                    parts[0].data_coding,
                    [p.message_id for p in parts],
                )
            )
        return whole
