"""A flat description of a packet, for ``egov exchange inspect`` and for logs."""

from __future__ import annotations

from typing import Any

from .model import DocumentPacket, Organization, Packet, status_description
from .values import format_date, format_timestamp


def _org(org: Organization) -> dict[str, str]:
    return {"organ_id": org.organ_id, "name": org.organ_name or org.organization_in_charge}


def describe(packet: Packet) -> dict[str, Any]:
    """JSON-ready summary: kind, ids, business type, parties, code, dates, status, attachments, signature."""
    sig = packet.signature
    info: dict[str, Any] = {
        "kind": packet.kind,
        "document_id": packet.document_id,
        "sender": _org(packet.sender),
    }
    if isinstance(packet, DocumentPacket):
        code = packet.business.doc_type
        info.update(
            business_type=code.label,
            business_type_code=int(code),
            recipients=[_org(o) for o in packet.recipients],
            code_number=packet.code.number,
            code_notation=packet.code.notation,
            promulgation_date=format_date(packet.promulgation.date) if packet.promulgation.date else None,
            subject=packet.subject,
            status_code=None,
            status_description=None,
            attachments=[
                {
                    "name": a.name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "zipped": a.zipped,
                }
                for a in packet.attachments
            ],
        )
    else:
        rf = packet.response_for
        info.update(
            business_type=None,
            business_type_code=None,
            recipients=[{"organ_id": rf.organ_id, "name": ""}] if rf.organ_id else [],
            code=rf.code,
            promulgation_date=format_date(rf.promulgation_date) if rf.promulgation_date else None,
            status_code=packet.status_code,
            status_description=status_description(packet.status_code) or "(not a standard code)",
            description=packet.description,
            timestamp=format_timestamp(packet.timestamp) if packet.timestamp else None,
            attachments=[],
        )
    info["signature"] = (
        {
            "status": sig.status.value,
            "reason": sig.reason,
            "signer": sig.signer,
            "trusted": sig.trusted,
            "warnings": list(sig.warnings),
        }
        if sig is not None
        else None
    )
    info["warnings"] = list(packet.warnings)
    return info


def format_text(info: dict[str, Any]) -> str:
    lines = [f"kind: {info['kind']}", f"document id: {info['document_id'] or '-'}"]
    if info["kind"] == "document":
        lines.append(f"business type: {info['business_type']} ({info['business_type_code']})")
    sender = info["sender"]
    lines.append(f"from: {sender['organ_id']}" + (f" ({sender['name']})" if sender["name"] else ""))
    if info["kind"] == "document":
        for org in info["recipients"]:
            lines.append(f"to: {org['organ_id']}" + (f" ({org['name']})" if org["name"] else ""))
        lines.append(f"code number: {info['code_number'] or '-'}")
        lines.append(f"code notation: {info['code_notation'] or '-'}")
        lines.append(f"promulgation date: {info['promulgation_date'] or '-'}")
        lines.append(f"subject: {info['subject'] or '-'}")
    else:
        for org in info["recipients"]:
            lines.append(f"to (original sender): {org['organ_id']}")
        lines.append(f"code: {info['code'] or '-'}")
        lines.append(f"promulgation date: {info['promulgation_date'] or '-'}")
        lines.append(f"status code: {info['status_code']} — {info['status_description']}")
        lines.append(f"description: {info['description'] or '-'}")
        lines.append(f"timestamp: {info['timestamp'] or '-'}")
    lines.append(f"attachments: {len(info['attachments'])}")
    for a in info["attachments"]:
        zipped = ", zipped in transfer" if a["zipped"] else ""
        lines.append(f"  - {a['name']} ({a['content_type']}, {a['size']} bytes{zipped}) sha256 {a['sha256']}")
    sig = info["signature"]
    if sig is not None:
        text = sig["status"]
        if sig["signer"]:
            text += f", signer {sig['signer']}"
        if sig["trusted"] is not None:
            text += ", trusted" if sig["trusted"] else ", not trusted"
        if sig["reason"]:
            text += f": {sig['reason']}"
        lines.append(f"signature: {text}")
        lines.extend(f"  ! {w}" for w in sig["warnings"])
    if info["warnings"]:
        lines.append("warnings:")
        lines.extend(f"  ! {w}" for w in info["warnings"])
    return "\n".join(lines)
