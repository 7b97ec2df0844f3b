"""Chữ ký số of a report: a detached JWS (RFC 7515, Appendix F) over the report's canonical JSON.

The payload is the canonical JSON of the submission (keys sorted, no spaces, UTF-8): regime, period, agency
codes, version, sending time and values. The signature is made with the reporting agency's certificate (its
digital seal, ``signing.selectors.agency_certificate_for``) and stored as ``<header>..<signature>`` (the
payload is left out: it is rebuilt from the stored report when verifying). The header carries ``alg``
(``RS256``, ``ES256``/``ES384``/``ES512`` or ``EdDSA``), the certificate chain (``x5c``) and its SHA-256
fingerprint (``x5t#S256``).

Verification rebuilds the payload, checks the signature with the certificate in ``x5c``, checks that the
certificate chains to an active root CA of this installation, was valid at the signing time, belongs to the
reporting agency and was not revoked before the signing time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from egov.signing import crypto
from egov.signing import selectors as signing_selectors
from egov.signing.models import Certificate


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_EC_HASH = {256: (hashes.SHA256, "ES256"), 384: (hashes.SHA384, "ES384"), 521: (hashes.SHA512, "ES512")}


def _sign_raw(key: crypto.PrivateKey, data: bytes) -> tuple[str, bytes]:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256", key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        hash_cls, alg = _EC_HASH[key.curve.key_size]
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_cls())))
        size = (key.curve.key_size + 7) // 8
        return alg, r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA", key.sign(data)
    raise ValueError(f"unsupported key type {type(key).__name__}")


def _verify_raw(cert: x509.Certificate, alg: str, signature: bytes, data: bytes) -> None:
    """Raises ``InvalidSignature`` (or ``ValueError`` for a malformed signature)."""
    public = cert.public_key()
    if alg == "RS256" and isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    elif alg.startswith("ES") and isinstance(public, ec.EllipticCurvePublicKey):
        hash_cls, expected = _EC_HASH[public.curve.key_size]
        if alg != expected:
            raise InvalidSignature("algorithm does not match the key")
        size = (public.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            raise InvalidSignature("bad ECDSA signature length")
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        public.verify(encode_dss_signature(r, s), data, ec.ECDSA(hash_cls()))
    elif alg == "EdDSA" and isinstance(public, ed25519.Ed25519PublicKey):
        public.verify(signature, data)
    else:
        raise InvalidSignature(f"algorithm {alg} does not match the certificate key")


def sign_detached(certificate: Certificate, payload: bytes) -> str:
    """``<protected header>..<signature>`` made with the certificate's private key."""
    key = crypto.decrypt_private_key(certificate.private_key_pem)
    chain = [crypto.load_pem(certificate.certificate_pem), *crypto.load_pem_chain(certificate.chain_pem)]
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]
    alg, _probe = _sign_raw(key, b"")
    header = {
        "alg": alg,
        "typ": "JOSE",
        "cty": "application/json",
        "x5c": x5c,
        "x5t#S256": _b64(bytes.fromhex(certificate.fingerprint_sha256)),
    }
    protected = _b64(canonical_json(header))
    _alg, signature = _sign_raw(key, f"{protected}.{_b64(payload)}".encode("ascii"))
    return f"{protected}..{_b64(signature)}"


@dataclass
class Verification:
    """Result of checking a report's signature."""

    signed: bool
    ok: bool = False
    signer: str = ""
    certificate_sha256: str = ""
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "signed": self.signed,
            "valid": self.ok,
            "signer": self.signer,
            "certificate_sha256": self.certificate_sha256,
            "problems": list(self.problems),
        }


def _chains_to_trust_root(chain: list[x509.Certificate], roots: list[x509.Certificate]) -> bool:
    current = chain[0]
    pool = chain[1:] + roots
    for _depth in range(8):
        for root in roots:
            if root.subject == current.issuer:
                try:
                    current.verify_directly_issued_by(root)
                    return True
                except (ValueError, TypeError, InvalidSignature):
                    continue
        issuer = next((c for c in pool if c.subject == current.issuer and c is not current), None)
        if issuer is None:
            return False
        try:
            current.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return False
        current = issuer
    return False


def verify_detached(
    token: str, payload: bytes, *, agency_id: int | None, signed_at: dt.datetime | None
) -> Verification:
    """Check a detached JWS over ``payload`` (see the module docstring for what is checked)."""
    if not token:
        return Verification(signed=False, problems=["not signed"])
    result = Verification(signed=True)
    try:
        protected, detached, sig = token.split(".")
        if detached:
            raise ValueError("the payload must be detached")
        header = json.loads(_unb64(protected))
        chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
        signature = _unb64(sig)
        alg = str(header["alg"])
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        result.problems.append(f"malformed signature: {exc}")
        return result
    leaf = chain[0]
    result.certificate_sha256 = crypto.fingerprint(leaf)
    result.signer = leaf.subject.rfc4514_string()
    try:
        _verify_raw(leaf, alg, signature, f"{protected}.{_b64(payload)}".encode("ascii"))
    except (InvalidSignature, ValueError):
        result.problems.append("the signature does not match the report (changed after signing?)")
    if not _chains_to_trust_root(chain, signing_selectors.trust_root_certificates()):
        result.problems.append("the certificate does not chain to a trusted root of this installation")
    if signed_at is not None and not (leaf.not_valid_before_utc <= signed_at <= leaf.not_valid_after_utc):
        result.problems.append("the certificate was not valid at the signing time")
    known = signing_selectors.certificates_by_fingerprint([result.certificate_sha256]).get(
        result.certificate_sha256
    )
    if known is None:
        result.problems.append("unknown certificate")
    else:
        if agency_id is not None and known.owner_agency_id != agency_id:
            result.problems.append("the certificate does not belong to the reporting agency")
        if known.status == Certificate.Status.REVOKED and (
            known.revoked_at is None or signed_at is None or known.revoked_at <= signed_at
        ):
            result.problems.append("the certificate was revoked before the signing time")
    result.ok = not result.problems
    return result


def sha256_hex(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
