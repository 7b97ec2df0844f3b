"""Hub services: connected systems, store-and-forward of packets, acknowledgements.

``accept_packet`` is the heart: it streams the upload to a temporary file while hashing it, reads it with
the edXML codec (strict about well-formedness, identifiers, sizes and signatures), routes every recipient
(a system connected here, or the parent hub), moves the file into storage with ``fsync`` and commits the
packet and its deliveries in one transaction — only then does the caller answer "success". A resend of the
same bytes by the same system returns the packet already stored (no duplicate deliveries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from egov.audit.services import record
from egov.exchange import routing
from egov.exchange.edxml import (
    DocumentPacket,
    EdxmlError,
    EdxmlSignatureError,
    EdxmlSizeError,
    ReaderOptions,
    StatusPacket,
)
from egov.exchange.edxml.reader import PacketReader
from egov.exchange.models import Delivery, HubOrgan, HubSystem, Packet

CHUNK = 1024 * 1024


class HubError(Exception):
    """A refusal with the numeric code of the provincial LGSP axis (guide v2.2)."""

    OK = 0
    FILE_INVALID = 10
    BAD_CREDENTIALS = 15
    RECIPIENT_NOT_FOUND = 18
    SENDER_NOT_REGISTERED = 19
    SYSTEM_ERROR = 20
    FILE_PROCESSING = 21
    NOT_STANDARD = 22
    RECIPIENT_LOCKED = 23

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- systems and organs ---------------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def register_system(
    *, actor: Any, system_id: str, name: str, secret: str | None = None, is_parent: bool = False
) -> tuple[HubSystem, str]:
    """Connect a system; returns it and its secret (shown once, stored hashed)."""
    secret = secret or new_secret()
    system = HubSystem(system_id=system_id.strip(), name=name.strip(), is_parent=is_parent)
    system.set_secret(secret)
    system.full_clean()
    system.save()
    record(
        "exchange.system.register",
        actor=actor,
        target=system,
        after={"system_id": system.system_id, "name": system.name, "is_parent": is_parent},
    )
    return system, secret


@transaction.atomic
def rotate_secret(*, actor: Any, system: HubSystem, grace: dt.timedelta = dt.timedelta(hours=24)) -> str:
    """New secret; the old one keeps working for ``grace`` so the connected system can switch over."""
    system = HubSystem.objects.select_for_update().get(pk=system.pk)
    secret = new_secret()
    system.previous_secret_hash = system.secret_hash
    system.previous_secret_expires = timezone.now() + grace
    system.set_secret(secret)
    system.rotated_at = timezone.now()
    system.save()
    record(
        "exchange.system.rotate_secret",
        actor=actor,
        target=system,
        after={"previous_valid_until": system.previous_secret_expires},
    )
    return secret


@transaction.atomic
def register_organ(
    *, actor: Any, system: HubSystem, organ_id: str, name: str, agency: Any = None
) -> HubOrgan:
    organ, created = HubOrgan.objects.update_or_create(
        organ_id=organ_id.strip(),
        defaults={"name": name.strip(), "system": system, "agency": agency, "active": True},
    )
    record(
        "exchange.organ.register" if created else "exchange.organ.update",
        actor=actor,
        target=organ,
        after={"organ_id": organ.organ_id, "system": system.system_id},
    )
    return organ


def authenticate(system_id: str, secret: str) -> HubSystem:
    """The active system with these credentials, from the process's routing snapshot (one version read,
    see :mod:`egov.exchange.routing`). The snapshot travels with the returned object, so accepting a packet
    in the same request routes it against the very state its sender was authenticated with."""
    snapshot = routing.current()
    system = snapshot.system(system_id) if system_id else None
    if system is None or not secret or not system.check_secret(secret):
        raise HubError(HubError.BAD_CREDENTIALS, "Sai X-SystemId hoặc X-SecretKey.")
    system._routing = snapshot  # type: ignore[attr-defined]
    return system


def _snapshot_for(system: HubSystem) -> routing.Snapshot:
    return getattr(system, "_routing", None) or routing.current()


# --- accepting packets ----------------------------------------------------------------------------------


MESSAGE_TYPES = {t.value for t in Packet.MessageType}
AUTO = "auto"
BUSINESS_MESSAGE = {0: "edoc", 1: "revocation", 2: "update", 3: "replacement"}


@dataclass(frozen=True)
class Route:
    organ_id: str
    route: str
    system_id: int


class _Sink:
    """Where an upload goes while it streams in.

    On a local file system (the default storage) it is written once, straight to its final name in storage
    (``exchange/yyyy/mm/dd/<packet id>.edxml``: unique, so nothing is copied, moved or renamed), and
    :meth:`commit` makes it durable: ``fsync`` of the file, then of its directory (the new entry), and of any
    directory created for it. Other storages get a temporary file, saved to the storage by :meth:`commit`
    (durability is then the storage's). :meth:`discard` removes whatever was written.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._tmp = ""
        self._stored = ""
        self._created: list[str] = []
        try:
            self.path: str | None = default_storage.path(name)
        except NotImplementedError:
            self.path = None
        if self.path is not None:
            self._created = _makedirs(os.path.dirname(self.path))
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            mode = getattr(default_storage, "file_permissions_mode", None)
            if mode is not None:
                os.fchmod(fd, mode)
        else:
            fd, self._tmp = tempfile.mkstemp(prefix="egov-packet-", suffix=".edxml")
        self.file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> str:
        """Durable in storage; returns the file's name there."""
        self.file.flush()
        if self.path is None:
            self.file.close()
            with open(self._tmp, "rb") as fh:
                self._stored = default_storage.save(self.name, File(fh))
            os.unlink(self._tmp)
            self._tmp = ""
            return self._stored
        os.fsync(self.file.fileno())
        self.file.close()
        directory = os.path.dirname(self.path)
        for folder in [
            directory,
            *self._created,
        ]:  # the new entry, then each new folder's entry in its parent
            _fsync_dir(os.path.dirname(folder) if folder != directory else folder)
        self._stored = self.name
        return self.name

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if self._tmp and os.path.exists(self._tmp):
            os.unlink(self._tmp)
        if self.path is not None and os.path.exists(self.path):
            os.unlink(self.path)
        elif self._stored:
            default_storage.delete(self._stored)


def _makedirs(directory: str) -> list[str]:
    """Create ``directory`` and missing parents (with the storage's permissions); returns those created."""
    missing = []
    folder = directory
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    mode = getattr(default_storage, "directory_permissions_mode", None)
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:  # another worker made it meanwhile
            continue
        if mode is not None:
            os.chmod(folder, mode)
    return missing


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _recipients(packet: DocumentPacket | StatusPacket) -> list[str]:
    if isinstance(packet, StatusPacket):
        return [packet.response_for.organ_id] if packet.response_for.organ_id else []
    return list(dict.fromkeys(o.organ_id for o in packet.recipients if o.organ_id))


def _route(sender: str, organ_ids: list[str], source: HubSystem, snapshot: routing.Snapshot) -> list[Route]:
    """Check that ``sender`` belongs to ``source`` and route every recipient (organ, its system, both
    active?) with the routing snapshot: no query."""
    if not organ_ids:
        raise HubError(HubError.NOT_STANDARD, "Gói tin không có cơ quan nhận (OrganId).")
    organs = snapshot.organs
    if not source.is_parent and organs.get(sender, (None, False))[0] != source.pk:
        raise HubError(HubError.SENDER_NOT_REGISTERED, f"Cơ quan gửi {sender} chưa đăng ký với hệ thống này.")
    routes = []
    for organ_id in organ_ids:
        organ = organs.get(organ_id)
        if organ is not None:
            system_id, active = organ
            if system_id == source.pk:
                continue  # the sending system serves this recipient itself (e.g. a child hub's own agencies)
            if not active:
                raise HubError(HubError.RECIPIENT_LOCKED, f"Cơ quan nhận {organ_id} đang bị khóa.")
            routes.append(Route(organ_id, Delivery.Route.LOCAL, system_id))
            continue
        if source.is_parent:
            continue  # from the parent hub: recipients elsewhere are served by their own hubs
        if snapshot.parent is None:
            raise HubError(HubError.RECIPIENT_NOT_FOUND, f"Không tìm thấy cơ quan nhận {organ_id}.")
        routes.append(Route(organ_id, Delivery.Route.PARENT, snapshot.parent))
    if not routes:
        raise HubError(HubError.RECIPIENT_NOT_FOUND, "Không có cơ quan nhận nào thuộc trục này.")
    return routes


def reader_options(snapshot: routing.Snapshot | None = None) -> ReaderOptions:
    """The codec's limits and the trust roots (from the routing snapshot: parsed once per change)."""
    return ReaderOptions(
        max_packet_bytes=settings.EGOV_EDXML_MAX_PACKET_BYTES,
        max_attachment_bytes=settings.EGOV_EDXML_MAX_ATTACHMENT_BYTES,
        trusted_certificates=(snapshot or routing.current()).trust_roots,
    )


_EXISTING_SQL: dict[str, str] = {}


def _existing_packet(content_key: str) -> Packet | None:
    """The packet already stored under ``content_key`` (a resend): one probe of the unique index."""
    connection = connections[router.db_for_read(Packet)]
    sql = _EXISTING_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _EXISTING_SQL[connection.vendor] = (
            f"SELECT {quote('id')} FROM {quote(Packet._meta.db_table)} "  # noqa: S608
            f"WHERE {quote('content_key')} = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [content_key])
        row = cursor.fetchone()
    return None if row is None else Packet.objects.get(pk=row[0])


def _refusal(exc: EdxmlError) -> HubError:
    if isinstance(exc, EdxmlSizeError):
        return HubError(HubError.FILE_INVALID, str(exc))
    if isinstance(exc, EdxmlSignatureError):
        return HubError(HubError.NOT_STANDARD, f"Chữ ký số của gói tin không hợp lệ: {exc}")
    return HubError(HubError.NOT_STANDARD, str(exc))


def accept_packet(
    *,
    system: HubSystem,
    stream: IO[bytes] | Iterable[bytes],
    message_type: str = "edoc",
    trace_from: list[dict[str, Any]] | None = None,
) -> Packet:
    """Store a packet durably and queue one delivery per recipient; see the module docstring.

    One pass over the upload: each block is hashed, written to its place in storage and fed to the edXML
    reader (pre-scanner and lxml) as it arrives. When the stream ends, a resend is answered with the packet
    already stored; otherwise the reader interprets the packet and checks its attachments and signature, the
    sender and the recipients are routed, the file is made durable and the rows are committed.

    ``message_type="auto"`` takes it from the packet: ``status`` for a status packet, otherwise from its
    ``BussinessDocType`` (new → edoc, revoke → revocation, update, replace → replacement).
    """
    if message_type != AUTO and message_type not in MESSAGE_TYPES:
        raise HubError(HubError.FILE_INVALID, f"messageType “{message_type}” không hợp lệ.")
    limit = settings.EGOV_EDXML_MAX_PACKET_BYTES
    now = timezone.now()
    packet_id = uuid.uuid4()
    snapshot = _snapshot_for(system)
    reader = PacketReader(reader_options(snapshot))
    sink = _Sink(f"exchange/{now:%Y/%m/%d}/{packet_id}.edxml")
    committed = False
    try:
        digest = hashlib.sha256()
        size = 0
        refused: EdxmlError | None = None  # reported once the whole upload is read (size first, as before)
        chunks = iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else iter(stream)
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise HubError(HubError.FILE_INVALID, f"Gói tin vượt quá {limit} byte.")
            digest.update(chunk)
            if refused is None:
                sink.write(chunk)
                try:
                    reader.feed(chunk)
                except EdxmlError as exc:
                    refused = exc
        if size == 0:
            raise HubError(HubError.FILE_INVALID, "Tệp gói tin rỗng.")
        sha256 = digest.hexdigest()
        content_key = hashlib.sha256(f"{system.pk}:{sha256}".encode()).hexdigest()
        existing = _existing_packet(content_key)
        if existing is not None:
            return existing
        if refused is not None:
            raise _refusal(refused)
        try:
            parsed = reader.finish()
        except EdxmlError as exc:
            raise _refusal(exc) from exc
        with parsed:
            sender = parsed.sender.organ_id
            is_status = isinstance(parsed, StatusPacket)
            if message_type == AUTO:
                message_type = "status" if is_status else BUSINESS_MESSAGE[int(parsed.business.doc_type)]  # type: ignore[union-attr]
            if is_status != (message_type == "status"):
                raise HubError(HubError.NOT_STANDARD, "messageType không khớp loại gói tin.")
            routes = _route(sender, _recipients(parsed), system, snapshot)
            meta = {
                "sender_organ_id": sender,
                "sender_name": parsed.sender.name if hasattr(parsed.sender, "name") else "",
                "document_id": parsed.document_id,
                "business_type": None if is_status else int(parsed.business.doc_type),  # type: ignore[union-attr]
                "status_code": parsed.status_code if isinstance(parsed, StatusPacket) else "",
                "subject": "" if is_status else parsed.subject[:500],  # type: ignore[union-attr]
                "signature": parsed.signature.status.value if parsed.signature else "",
            }
        name = sink.commit()
        packet = _store(
            system,
            packet_id,
            now,
            name,
            sha256,
            size,
            content_key,
            message_type,
            meta,
            routes,
            trace_from or [],
        )
        committed = packet.pk == packet_id
        return packet
    finally:
        reader.close()
        if not committed:
            sink.discard()


def _store(
    system: HubSystem,
    packet_id: uuid.UUID,
    now: dt.datetime,
    name: str,
    sha256: str,
    size: int,
    content_key: str,
    message_type: str,
    meta: dict[str, Any],
    routes: list[Route],
    trace_from: list[dict[str, Any]],
) -> Packet:
    """Commit the packet (its file ``name`` already durable), its deliveries and the audit row; a concurrent
    resend that committed first wins (the unique content key) and is returned instead."""
    trace = [*trace_from, {"hub": settings.EGOV_EXCHANGE_HUB_ID, "at": now.isoformat()}]
    try:
        with transaction.atomic():
            packet = Packet.objects.create(
                id=packet_id,
                message_type=message_type,
                file=name,
                size=size,
                sha256=sha256,
                content_key=content_key,
                source_system=system,
                hops=len(trace),
                trace=trace,
                **meta,
            )
            Delivery.objects.bulk_create(
                [
                    Delivery(packet=packet, organ_id=r.organ_id, route=r.route, system_id=r.system_id)
                    for r in routes
                ]
            )
            # Last statement before the commit: the audit chain lock is held for as short a time as possible.
            record(
                "exchange.packet.accept",
                actor=None,
                target=packet,
                after={
                    "from_system": system.system_id,
                    "sender": meta["sender_organ_id"],
                    "document_id": meta["document_id"],
                    "message_type": message_type,
                    "status_code": meta["status_code"],
                    "sha256": sha256,
                    "recipients": [(r.organ_id, r.route) for r in routes],
                },
            )
            if any(r.route == Delivery.Route.PARENT for r in routes):
                from egov.exchange import tasks

                transaction.on_commit(lambda: tasks.forward_to_parent.enqueue())
    except IntegrityError:
        existing = _existing_packet(content_key)
        if existing is None:
            raise
        return existing
    return packet


# --- recipients' side -----------------------------------------------------------------------------------


def received(
    system: HubSystem,
    *,
    message_type: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    include_done: bool = False,
) -> list[Delivery]:
    qs = inbox(system, message_type=message_type, since=since, until=until, include_done=include_done)
    return list(qs.order_by("created_at", "id")[:1000])


def inbox(
    system: HubSystem,
    *,
    message_type: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    include_done: bool = False,
) -> QuerySet[Delivery]:
    """What the hub holds for ``system`` (its local deliveries), unordered; ``received`` caps it at 1000 for
    the LGSP list, egov's own API pages through it with a cursor."""
    qs = Delivery.objects.select_related("packet").filter(system=system, route=Delivery.Route.LOCAL)
    if not include_done:
        qs = qs.filter(state__in=[Delivery.State.PENDING, Delivery.State.FETCHED])
    if message_type:
        qs = qs.filter(packet__message_type=message_type)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs


def delivery_for(system: HubSystem, doc_id: str | uuid.UUID) -> Delivery:
    try:
        packet_id = doc_id if isinstance(doc_id, uuid.UUID) else uuid.UUID(str(doc_id))
    except ValueError as exc:
        raise HubError(HubError.FILE_INVALID, "docId không hợp lệ.") from exc
    qs = Delivery.objects.select_related("packet").filter(system=system, packet_id=packet_id)
    delivery = qs.order_by("id").first()
    if delivery is None:
        raise HubError(HubError.RECIPIENT_NOT_FOUND, "Không có gói tin này cho hệ thống.")
    return delivery


@transaction.atomic
def mark_fetched(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING).update(
        state=Delivery.State.FETCHED, fetched_at=timezone.now()
    )


@transaction.atomic
def acknowledge(*, system: HubSystem, doc_id: str, status: str, reason: str = "") -> Delivery:
    """``updateStatus``: "done" ends the delivery (the recipient holds the packet); "fail" records why."""
    delivery = delivery_for(system, doc_id)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if status == "done":
        if delivery.state != Delivery.State.DONE:
            delivery.state = Delivery.State.DONE
            delivery.done_at = timezone.now()
            delivery.save(update_fields=["state", "done_at"])
            record(
                "exchange.delivery.done",
                actor=None,
                target=delivery,
                after={"packet": str(delivery.packet_id), "organ_id": delivery.organ_id},
            )
    elif status == "fail":
        delivery.state = Delivery.State.FAILED
        delivery.last_error = reason[:500]
        delivery.save(update_fields=["state", "last_error"])
        record("exchange.delivery.fail", actor=None, target=delivery, after={"reason": reason[:500]})
    else:
        raise HubError(HubError.FILE_INVALID, f"Trạng thái “{status}” không hợp lệ (done, fail).")
    return delivery
