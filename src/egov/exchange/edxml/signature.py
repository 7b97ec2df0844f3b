"""XML-DSig signatures of edXML packets (signxml + cryptography).

**Where the signature goes.** The VPCP sample puts a ``Signature`` block at the end of ``edXMLHeader``
(after ``TraceHeaderList``), unprefixed — and therefore, by the default namespace in force there, in the
edXML namespace, where no XML-DSig verifier looks for it. egov writes the same element at the same place,
also unprefixed, but declares the XML-DSig namespace on it (``<Signature
xmlns="http://www.w3.org/2000/09/xmldsig#">``), as the older VPCP sample ``edoc.edxml`` already did. It is an
enveloped signature over the whole document (``Reference URI=""``, transforms enveloped-signature + exclusive
C14N), RSA-SHA256, SHA-256 digest, with the signer's certificate (and any chain given) in
``KeyInfo/X509Data``: ``xmlsec1 --verify --trusted-pem ca.pem packet.edxml`` accepts it.

**Large attachments.** The codec keeps the base64 text of attachments out of the lxml tree (see
:mod:`.scanner`): the tree holds a marker where the text was. signxml canonicalises that small tree; the
subclasses below override signxml's digest step so that each marker is replaced, while hashing, by the
canonical form of the real text streamed from its spool. The digest is therefore exactly the one over the
full document, without the document ever being in memory.

**Verification** returns a :class:`SignatureResult`:

* ``absent`` — no signature element;
* ``unverifiable`` — a signature that no standard verifier can check: in the edXML namespace (the VPCP
  ``edoc_update`` sample, whose transform URI is also non-standard), a reference that does not cover the whole
  packet, an unknown algorithm, no certificate;
* ``invalid`` — a standard signature that does not match the packet (changed content, wrong key): the reader
  rejects the packet;
* ``valid`` — it matches. ``trusted`` then says whether the certificate chains to one of the trust anchors
  given (None when none were given); weak algorithms (SHA-1, as the SDK samples use) and expired
  certificates are reported as warnings.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    digest_algorithm_implementations,
)
from signxml.exceptions import (
    InvalidCertificate,
    InvalidDigest,
    InvalidInput,
    InvalidSignature,
    SignXMLException,
)
from signxml.util import _remove_sig

from .errors import EdxmlError
from .model import DSIG_NS

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = SignatureConstructionMethod.enveloped.value
_C14N_URIS = {m.value for m in CanonicalizationMethod}
_SIGNATURE_URIS = {m.value for m in SignatureMethod}
_DIGEST_URIS = {m.value for m in DigestAlgorithm}


class SignatureStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True)
class SignatureResult:
    status: SignatureStatus
    reason: str = ""
    signer: str = ""
    trusted: bool | None = None
    algorithm: str = ""
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        text = self.status.value
        if self.signer:
            text += f", signer {self.signer}"
        if self.trusted is not None:
            text += ", trusted" if self.trusted else ", NOT trusted"
        if self.reason:
            text += f": {self.reason}"
        if self.warnings:
            text += " (" + "; ".join(self.warnings) + ")"
        return text


# -- markers: streamed attachment text in canonical form -----------------------------------------------------
class MarkerExpander:
    """Replaces attachment markers in canonical XML by the canonical form of the attachment text."""

    def __init__(self, marker: bytes, source: Callable[[int], Iterable[bytes]]) -> None:
        self.marker = marker
        self._source = source

    @staticmethod
    def new_marker() -> bytes:
        return b"edxml-attachment-" + secrets.token_hex(16).encode() + b"-"

    def expand(self, data: bytes, sink: Callable[[bytes], None]) -> None:
        """``marker`` + index (+ newlines) → the attachment text; found with ``bytes.find`` (the marker is
        new for each packet, so a compiled pattern could not be reused)."""
        last = 0
        while (start := data.find(self.marker, last)) != -1:
            m = _INDEX.match(data, start + len(self.marker))
            if m is None:  # not one of ours (a marker is always followed by its index)
                sink(data[last : start + 1])
                last = start + 1
                continue
            sink(data[last:start])
            for chunk in self._source(int(m.group(1))):
                sink(
                    chunk.replace(b"&", b"&amp;")
                    .replace(b"<", b"&lt;")
                    .replace(b">", b"&gt;")
                    .replace(b"\r", b"&#xD;")
                )
            last = m.end()
        sink(data[last:])


_INDEX = re.compile(rb"(\d+)\n*")


def _streamed_digest(expander: MarkerExpander | None, data: bytes, algorithm: Any) -> bytes | None:
    if expander is None or expander.marker not in data:
        return None
    hasher = hashes.Hash(digest_algorithm_implementations[algorithm]())
    expander.expand(data, hasher.update)
    return hasher.finalize()


class _Signer(XMLSigner):
    def __init__(self, expander: MarkerExpander | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._expander = expander

    def _get_digest(self, data: bytes, algorithm: Any) -> bytes:
        streamed = _streamed_digest(self._expander, data, algorithm)
        return streamed if streamed is not None else super()._get_digest(data, algorithm)


class _Verifier(XMLVerifier):
    def __init__(self, expander: MarkerExpander | None) -> None:
        super().__init__()
        self._expander = expander
        self.cert_problems: list[str] = []

    def _get_digest(self, data: bytes, algorithm: Any) -> bytes:
        streamed = _streamed_digest(self._expander, data, algorithm)
        return streamed if streamed is not None else super()._get_digest(data, algorithm)

    def _check_cert_validity(self, cert: Any, cert_source: Any) -> None:
        # Packets are verified long after signing; an expired certificate is reported, not fatal.
        problem = self._get_cert_validity_error(cert, cert_source)
        if problem is not None:
            self.cert_problems.append(problem)


# -- keys and certificates ----------------------------------------------------------------------------------
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_private_key(key: PrivateKeyTypes | bytes | str, password: bytes | None = None) -> SigningKey:
    """An RSA (or EC) private key object, or PEM text of one (``password`` for an encrypted PEM)."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(key, bytes):
        try:
            key = serialization.load_pem_private_key(key, password=password)
        except (ValueError, TypeError) as exc:
            raise EdxmlError(f"cannot load the signing key: {exc}") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise EdxmlError(f"unsupported signing key type {type(key).__name__}: RSA or EC expected")
    return key


def load_certificates(
    certs: x509.Certificate | Sequence[x509.Certificate] | bytes | str,
) -> list[x509.Certificate]:
    """One certificate, a list (leaf first), or PEM text holding the chain (leaf first)."""
    if isinstance(certs, str):
        certs = certs.encode()
    if isinstance(certs, bytes):
        loaded = x509.load_pem_x509_certificates(certs)
    elif isinstance(certs, x509.Certificate):
        loaded = [certs]
    else:
        loaded = list(certs)
    if not loaded:
        raise EdxmlError("no certificate given for signing")
    return loaded


@dataclass
class PacketSigner:
    """A private key and its certificate chain (leaf first), as cryptography objects or PEM."""

    key: PrivateKeyTypes | bytes | str
    certificates: x509.Certificate | Sequence[x509.Certificate] | bytes | str
    password: bytes | None = None

    def sign_tree(self, root: etree._Element, expander: MarkerExpander | None) -> etree._Element:
        """Sign ``root`` in place of its ``Signature Id="placeholder"`` element; returns the signed tree."""
        signer = _Signer(
            expander,
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=EXC_C14N,
        )
        signer.namespaces = {None: DSIG_NS}  # type: ignore[dict-item]  # unprefixed, like the SDK sample
        try:
            return signer.sign(
                root,
                key=load_private_key(self.key, self.password),
                cert=load_certificates(self.certificates),
            )
        except (SignXMLException, ValueError, TypeError) as exc:
            raise EdxmlError(f"cannot sign the packet: {exc}") from exc


# -- verification -------------------------------------------------------------------------------------------
def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _find_signature(root: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """(first XML-DSig Signature, first non-standard Signature-like element)."""
    standard = None
    other = None
    for el in root.iter(etree.Element):
        name = _local(el)
        if name not in ("Signature", "DigitalSignature"):
            continue
        if etree.QName(el).namespace == DSIG_NS and name == "Signature":
            standard = standard if standard is not None else el
        elif other is None:
            other = el
    return standard, other


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs = []
    for el in signature.iterfind(f".//{{{DSIG_NS}}}X509Certificate"):
        raw = "".join((el.text or "").split())
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(raw, validate=True)))
        except (ValueError, binascii.Error):
            continue
    return certs


def _precheck(signature: etree._Element) -> str:
    """Why this standard signature cannot be checked as a whole-packet signature ('' when it can)."""
    signed_info = signature.find(f"{{{DSIG_NS}}}SignedInfo")
    if signed_info is None:
        return "Signature has no SignedInfo"
    c14n = signed_info.find(f"{{{DSIG_NS}}}CanonicalizationMethod")
    method = signed_info.find(f"{{{DSIG_NS}}}SignatureMethod")
    if c14n is None or c14n.get("Algorithm") not in _C14N_URIS:
        return f"unsupported canonicalization {c14n.get('Algorithm') if c14n is not None else '(none)'}"
    if method is None or method.get("Algorithm") not in _SIGNATURE_URIS:
        return f"unsupported signature method {method.get('Algorithm') if method is not None else '(none)'}"
    references = signed_info.findall(f"{{{DSIG_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        return 'the signature does not cover the whole packet (one Reference URI="" expected)'
    reference = references[0]
    transforms = [
        t.get("Algorithm") for t in reference.iterfind(f"{{{DSIG_NS}}}Transforms/{{{DSIG_NS}}}Transform")
    ]
    if ENVELOPED not in transforms:
        return "the reference lacks the enveloped-signature transform"
    for uri in transforms:
        if uri != ENVELOPED and uri not in _C14N_URIS:
            return f"non-standard transform {uri}"
    digest = reference.find(f"{{{DSIG_NS}}}DigestMethod")
    if digest is None or digest.get("Algorithm") not in _DIGEST_URIS:
        return f"unsupported digest method {digest.get('Algorithm') if digest is not None else '(none)'}"
    if not _certificates(signature):
        return "no usable X509Certificate in KeyInfo"
    return ""


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def chain_to_anchor(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: datetime | None = None,
) -> tuple[bool, str]:
    """Does ``leaf`` chain (through ``intermediates``) to one of ``anchors``? Returns (trusted, reason)."""
    when = at or datetime.now(UTC)
    anchor_der = {a.public_bytes(serialization.Encoding.DER) for a in anchors}
    current = leaf
    for _ in range(8):
        if not (current.not_valid_before_utc <= when <= current.not_valid_after_utc):
            return False, f"certificate {current.subject.rfc4514_string()} is not valid at {when:%Y-%m-%d}"
        if current.public_bytes(serialization.Encoding.DER) in anchor_der:
            return True, ""
        issuer = None
        for candidate in [*anchors, *intermediates]:
            if candidate.subject != current.issuer or candidate is current:
                continue
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, CryptoInvalidSignature):
                continue
            if not _is_ca(candidate):
                continue
            issuer = candidate
            break
        if issuer is None:
            return False, "the certificate does not chain to a trusted CA"
        current = issuer
    return False, "certificate chain too long"


def verify_tree(
    root: etree._Element,
    *,
    expander: MarkerExpander | None = None,
    parser: etree.XMLParser | None = None,
    trusted: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> SignatureResult:
    """Check the packet's signature; never raises for a bad signature (the result says so)."""
    standard, other = _find_signature(root)
    if standard is None:
        if other is None or (len(other) == 0 and not (other.text or "").strip()):
            return SignatureResult(SignatureStatus.ABSENT)
        ns = etree.QName(other).namespace or "no namespace"
        transforms = [t.get("Algorithm") for t in other.iter(etree.Element) if _local(t) == "Transform"]
        odd = [t for t in transforms if t and t != ENVELOPED and t not in _C14N_URIS]
        reason = f"{_local(other)} element is in {ns}, not the XML-DSig namespace; "
        reason += "no standard verifier can check it"
        if odd:
            reason += f" (non-standard transform {odd[0]})"
        return SignatureResult(SignatureStatus.UNVERIFIABLE, reason)
    problem = _precheck(standard)
    if problem:
        return SignatureResult(SignatureStatus.UNVERIFIABLE, problem)

    certs = _certificates(standard)
    method_uri = standard.find(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}SignatureMethod").get("Algorithm", "")
    digest_uri = standard.find(f".//{{{DSIG_NS}}}DigestMethod").get("Algorithm", "")
    fast = _verify_egov_profile(root, standard, certs, expander, parser)
    if fast is not None:
        outcome, cert = fast
        if outcome == "digest":
            return SignatureResult(
                SignatureStatus.INVALID,
                "digest mismatch: the packet was changed after it was signed",
                signer=cert.subject.rfc4514_string() if cert is not None else "",
                algorithm=method_uri,
            )
        if cert is None:
            return SignatureResult(
                SignatureStatus.INVALID,
                "signature value does not match (no certificate in KeyInfo verifies it)",
                algorithm=method_uri,
            )
        return _valid(cert, certs, method_uri, digest_uri, [_validity_problem(cert, at)], trusted, at)
    config = SignatureConfiguration(
        require_x509=True,
        expect_references=1,
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        verification_time=at,
    )
    last_error = "no certificate in KeyInfo verifies the signature value"
    for cert in certs:
        verifier = _Verifier(expander)
        try:
            verifier.verify(root, x509_cert=cert, expect_config=config, parser=parser, validate_schema=False)
        except InvalidDigest:
            return SignatureResult(
                SignatureStatus.INVALID,
                "digest mismatch: the packet was changed after it was signed",
                signer=cert.subject.rfc4514_string(),
                algorithm=method_uri,
            )
        except InvalidSignature as exc:
            last_error = f"signature value does not match ({exc})"
            continue
        except (InvalidCertificate, InvalidInput) as exc:
            return SignatureResult(SignatureStatus.UNVERIFIABLE, f"malformed signature: {exc}")
        except SignXMLException as exc:
            return SignatureResult(SignatureStatus.INVALID, str(exc))
        return _valid(cert, certs, method_uri, digest_uri, verifier.cert_problems, trusted, at)
    return SignatureResult(SignatureStatus.INVALID, last_error, algorithm=method_uri)


def _valid(
    cert: x509.Certificate,
    certs: list[x509.Certificate],
    method_uri: str,
    digest_uri: str,
    problems: Sequence[str | None],
    trusted: Sequence[x509.Certificate],
    at: datetime | None,
) -> SignatureResult:
    warnings = [p for p in problems if p]
    if "sha1" in method_uri.lower() or "sha1" in digest_uri.lower():
        warnings.append("weak algorithm (SHA-1)")
    trusted_flag: bool | None = None
    if trusted:
        trusted_flag, why = chain_to_anchor(cert, [c for c in certs if c is not cert], trusted, at)
        if why:
            warnings.append(why)
    return SignatureResult(
        SignatureStatus.VALID,
        signer=cert.subject.rfc4514_string(),
        trusted=trusted_flag,
        algorithm=method_uri,
        warnings=tuple(warnings),
    )


# -- egov's own profile, verified without signxml's copies ---------------------------------------------------
_RSA_SHA256 = SignatureMethod.RSA_SHA256.value
_SHA256 = DigestAlgorithm.SHA256.value


def _validity_problem(cert: x509.Certificate, at: datetime | None) -> str | None:
    when = at or datetime.now(UTC)
    if when < cert.not_valid_before_utc:
        return f"certificate is not yet valid at {when.isoformat()} (valid from {cert.not_valid_before_utc})"
    if when > cert.not_valid_after_utc:
        return f"certificate has expired at {when.isoformat()} (valid until {cert.not_valid_after_utc})"
    return None


def _verify_egov_profile(
    root: etree._Element,
    signature: etree._Element,
    certs: list[x509.Certificate],
    expander: MarkerExpander | None,
    parser: etree.XMLParser | None,
) -> tuple[str, x509.Certificate | None] | None:
    """The signatures egov writes (and the SDK's RSA-SHA256 profile), checked in one pass; ``None`` for any
    other shape, which signxml then verifies.

    The profile: exclusive C14N without an InclusiveNamespaces list, RSA-SHA256, one ``Reference URI=""``
    with exactly the transforms enveloped-signature then exclusive C14N, SHA-256 digest. For it, XML-DSig
    verification is two checks, each done by the library made for it: the SignatureValue over lxml's
    exclusive canonical form of SignedInfo (``cryptography``, PKCS#1 v1.5), and the DigestValue over lxml's
    exclusive canonical form of the packet without its Signature element (attachment text streamed in by
    the marker expander). signxml does the same with four more serialise-and-parse round trips of the tree
    (each walked again for entities), about 0.8 ms of a hub's ~8 ms per packet; the tests compare both
    paths on valid, altered and forged packets, and ``xmlsec1`` checks what egov signs.

    Returns ("ok", cert), ("digest", cert) when the signature value matches but the content changed, or
    ("signature", None) when no certificate verifies the signature value."""
    ns = f"{{{DSIG_NS}}}"
    signed_info = signature.find(f"{ns}SignedInfo")
    if signed_info is None:
        return None
    c14n = signed_info.find(f"{ns}CanonicalizationMethod")
    method = signed_info.find(f"{ns}SignatureMethod")
    references = signed_info.findall(f"{ns}Reference")
    if (
        c14n is None
        or c14n.get("Algorithm") != EXC_C14N
        or len(c14n)
        or method is None
        or method.get("Algorithm") != _RSA_SHA256
        or len(method)
        or len(references) != 1
    ):
        return None
    reference = references[0]
    transforms = reference.findall(f"{ns}Transforms/{ns}Transform")
    digest_method = reference.find(f"{ns}DigestMethod")
    digest_value = reference.find(f"{ns}DigestValue")
    value = signature.find(f"{ns}SignatureValue")
    if (
        reference.get("URI") != ""
        or [t.get("Algorithm") for t in transforms] != [ENVELOPED, EXC_C14N]
        or any(len(t) for t in transforms)
        or digest_method is None
        or digest_method.get("Algorithm") != _SHA256
        or digest_value is None
        or value is None
    ):
        return None
    try:
        raw_signature = base64.b64decode("".join((value.text or "").split()), validate=True)
        expected_digest = base64.b64decode("".join((digest_value.text or "").split()), validate=True)
    except (ValueError, binascii.Error):
        return None  # signxml reports malformed values
    signed_info_c14n = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    signer = None
    for cert in certs:
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        try:
            key.verify(raw_signature, signed_info_c14n, padding.PKCS1v15(), hashes.SHA256())
        except CryptoInvalidSignature:
            continue
        signer = cert
        break
    if signer is None:
        return ("signature", None)
    # Enveloped-signature transform on a copy (as signxml: serialised and parsed again, so that nothing of
    # the caller's tree changes), then the exclusive canonical form of the rest, digested as it streams.
    copy = etree.fromstring(etree.tostring(root), parser)
    copied = next(copy.iter(f"{ns}Signature"), None)  # the first, as _find_signature and signxml take
    if copied is None:  # pragma: no cover - the copy holds the same signature
        return None
    _remove_sig(copied)
    canonical = etree.tostring(copy, method="c14n", exclusive=True, with_comments=False)
    digest = _streamed_digest(expander, canonical, DigestAlgorithm.SHA256)
    if digest is None:
        digest = hashlib.sha256(canonical).digest()
    return ("ok" if hmac.compare_digest(digest, expected_digest) else "digest", signer)
