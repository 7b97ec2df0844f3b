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
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
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
        self._pattern = re.compile(re.escape(marker) + rb"(\d+)\n*")

    @staticmethod
    def new_marker() -> bytes:
        return b"edxml-attachment-" + secrets.token_hex(16).encode() + b"-"

    def expand(self, data: bytes, sink: Callable[[bytes], None]) -> None:
        last = 0
        for m in self._pattern.finditer(data):
            sink(data[last : m.start()])
            for chunk in self._source(int(m.group(1))):
                sink(
                    chunk.replace(b"&", b"&amp;")
                    .replace(b"<", b"&lt;")
                    .replace(b">", b"&gt;")
                    .replace(b"\r", b"&#xD;")
                )
            last = m.end()
        sink(data[last:])


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
            verifier.verify(root, x509_cert=cert, expect_config=config, parser=parser)
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
        warnings = list(verifier.cert_problems)
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
    return SignatureResult(SignatureStatus.INVALID, last_error, algorithm=method_uri)
