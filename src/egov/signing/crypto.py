"""Keys and X.509 certificates without the database: generation, encryption of private keys, PKCS#12.

Private keys are kept as encrypted PKCS#8 PEM. The passphrase comes from ``EGOV_SIGNING_KEY_PASSPHRASE``;
when it is unset, it is derived from ``SECRET_KEY`` (HMAC-SHA256), so a one-machine install works without
configuration, but then changing ``SECRET_KEY`` makes the stored keys unreadable (see docs/signing.md and
``egov manage signing_rekey``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from egov.core.config import env

PASSPHRASE_ENV = "EGOV_SIGNING_KEY_PASSPHRASE"  # noqa: S105 - the name of the variable
# id-kp-documentSigning (RFC 9336).
DOCUMENT_SIGNING_EKU = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
CA_KEY_BITS = 3072
LEAF_KEY_BITS = 2048

PrivateKey = (
    rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
)


class KeyDecryptionError(Exception):
    """The stored private key cannot be decrypted with the configured passphrase."""


class Pkcs12Error(Exception):
    """A PKCS#12 file cannot be used; ``code`` says why (``not_pkcs12``, ``wrong_password``, ``no_key``…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def derive_passphrase(secret_key: str) -> bytes:
    """The passphrase used when ``EGOV_SIGNING_KEY_PASSPHRASE`` is unset: HMAC-SHA256 of a fixed label
    keyed with ``SECRET_KEY``, in hexadecimal."""
    mac = hmac.new(secret_key.encode("utf-8"), b"egov.signing.private-key-passphrase", hashlib.sha256)
    return mac.hexdigest().encode("ascii")


def key_passphrase() -> bytes:
    """The passphrase that encrypts stored private keys."""
    configured = env("EGOV_SIGNING_KEY_PASSPHRASE", "")
    if configured:
        return configured.encode("utf-8")
    return derive_passphrase(str(settings.SECRET_KEY))


def new_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def encrypt_private_key(key: PrivateKey, passphrase: bytes | None = None) -> str:
    """Encrypted PKCS#8 PEM (``-----BEGIN ENCRYPTED PRIVATE KEY-----``)."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase or key_passphrase()),
    )
    return data.decode("ascii")


def decrypt_private_key(pem: str, passphrase: bytes | None = None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=passphrase or key_passphrase())
    except (ValueError, TypeError) as exc:
        raise KeyDecryptionError(
            f"cannot decrypt the private key: wrong {PASSPHRASE_ENV} (or SECRET_KEY changed)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyDecryptionError(f"unsupported private key type {type(key).__name__}")
    return key


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def load_pem_chain(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode("ascii")) if pem.strip() else []


def load_any(data: bytes) -> list[x509.Certificate]:
    """Certificates from PEM (one or more) or DER bytes."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def fit_utf8(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` bytes of UTF-8, on a character boundary.

    X.509 upper bounds (RFC 5280: 64 for CN/O/OU) are enforced by ``cryptography`` on the encoded bytes,
    and a Vietnamese letter with diacritics takes two or three bytes: "Trung tâm Phục vụ hành chính công
    thành phố Cần Thơ" is 51 characters but 65 bytes. Cut at the last space when there is one in the
    kept part so that a word is not split.
    """
    data = value.encode()
    if len(data) <= limit:
        return value
    cut = data[:limit].decode(errors="ignore")
    head, sep, _ = cut.rpartition(" ")
    return (head if sep and head else cut).rstrip()


def build_name(
    *, common_name: str, organization: str = "", unit: str = "", locality: str = "", email: str = ""
) -> x509.Name:
    """An X.509 name, C=VN; text attributes are UTF8String, so Vietnamese names keep their diacritics."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, fit_utf8(locality, 128)))
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, fit_utf8(organization, 64)))
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, fit_utf8(unit, 64)))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, fit_utf8(common_name, 64)))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email[:255]))
    return x509.Name(attrs)


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()


def create_root_ca(*, common_name: str, organization: str, locality: str, years: int = 10) -> Issued:
    key = new_rsa_key(CA_KEY_BITS)
    name = build_name(common_name=common_name, organization=organization, locality=locality)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, _hash_for(key))
    )
    return Issued(cert, key)


def issue_signing_certificate(
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    subject: x509.Name,
    email: str = "",
    years: int = 3,
) -> Issued:
    """A document-signing certificate: digitalSignature + nonRepudiation, EKU emailProtection and
    documentSigning (emailProtection is what NSS, hence poppler's pdfsig, checks for signers)."""
    key = new_rsa_key(LEAF_KEY_BITS)
    public = key.public_key()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    not_after = min(now + dt.timedelta(days=365 * years), issuer_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    return Issued(builder.sign(issuer_key, _hash_for(issuer_key)), key)


def can_sign_documents(cert: x509.Certificate) -> bool:
    """Whether the key usage (if present) allows signatures: digitalSignature or nonRepudiation."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.digital_signature or usage.content_commitment)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, Exception):  # InvalidSignature and unsupported algorithms alike
        return False
    return True


@dataclass(frozen=True)
class Pkcs12Content:
    key: PrivateKey
    certificate: x509.Certificate
    additional: list[x509.Certificate]


def load_pkcs12(data: bytes, password: str | bytes | None) -> Pkcs12Content:
    """The key, the certificate and the chain of a PKCS#12 (.p12/.pfx) file, or a :class:`Pkcs12Error`."""
    try:
        asn1_pkcs12.Pfx.load(data).native  # noqa: B018 - parse fully: is it PKCS#12 at all?
    except Exception as exc:
        raise Pkcs12Error("not_pkcs12", "not a PKCS#12 (.p12/.pfx) file") from exc
    pw = password.encode("utf-8") if isinstance(password, str) else password
    try:
        key, cert, additional = pkcs12.load_key_and_certificates(data, pw or None)
    except ValueError as exc:
        raise Pkcs12Error("wrong_password", "wrong password for the PKCS#12 file") from exc
    except Exception as exc:  # unsupported algorithms in old files
        raise Pkcs12Error("unsupported", f"cannot read the PKCS#12 file: {exc}") from exc
    if key is None:
        if cert is None and not additional:
            raise Pkcs12Error("no_certificate", "the PKCS#12 file holds no certificate")
        raise Pkcs12Error("no_key", "the PKCS#12 file holds no private key")
    if cert is None:
        raise Pkcs12Error("no_certificate", "the PKCS#12 file holds no certificate")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise Pkcs12Error("unsupported_key", f"unsupported key type {type(key).__name__}")
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise Pkcs12Error("key_mismatch", "the private key does not belong to the certificate")
    return Pkcs12Content(key, cert, list(additional))


def export_pkcs12(
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    password: str,
    friendly_name: str = "egov",
) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"),
        key,
        certificate,
        list(chain) or None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )


def order_chain(leaf: x509.Certificate, pool: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """The issuers of ``leaf`` found in ``pool``, nearest first (stops at a self-signed root)."""
    remaining = [c for c in pool if fingerprint(c) != fingerprint(leaf)]
    chain: list[x509.Certificate] = []
    current = leaf
    while True:
        parent = next((c for c in remaining if c.subject == current.issuer), None)
        if parent is None:
            return chain
        chain.append(parent)
        remaining.remove(parent)
        if is_self_signed(parent):
            return chain
        current = parent


def random_password(nbytes: int = 18) -> str:
    return secrets.token_urlsafe(nbytes)
