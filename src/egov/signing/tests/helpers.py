"""Test helpers: an 'external' CA standing for VNPT-CA, Viettel-CA or the government CA, and pdfsig."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from egov.signing import crypto

HAS_PDFSIG = bool(shutil.which("pdfsig") and shutil.which("certutil"))
needs_pdfsig = pytest.mark.skipif(
    not HAS_PDFSIG,
    reason="pdfsig/certutil missing: apt-get install poppler-utils libnss3-tools (CI installs them)",
)


@dataclass
class ExternalCA:
    root: crypto.Issued

    def issue(
        self,
        common_name: str,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        signing: bool = True,
    ) -> crypto.Issued:
        key = crypto.new_rsa_key(2048)
        now = dt.datetime.now(dt.UTC)
        usage = x509.KeyUsage(
            digital_signature=signing,
            content_commitment=signing,
            key_encipherment=not signing,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                crypto.build_name(common_name=common_name, organization="Sở Tài chính", locality="Huế")
            )
            .issuer_name(self.root.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(self.root.key, hashes.SHA256())  # type: ignore[arg-type]
        )
        return crypto.Issued(cert, key)

    def pkcs12(self, issued: crypto.Issued, password: str) -> bytes:
        return crypto.export_pkcs12(
            key=issued.key, certificate=issued.certificate, chain=[self.root.certificate], password=password
        )


def external_ca() -> ExternalCA:
    return ExternalCA(
        crypto.create_root_ca(
            common_name="Test Vietnam CA (như VNPT-CA)",
            organization="Nhà cung cấp dịch vụ thử",
            locality="Hà Nội",
        )
    )


def pdfsig(pdf: bytes, ca_pems: list[str], tmp_path: Path) -> list[dict[str, str]]:
    """Run poppler's pdfsig on ``pdf`` with an NSS database trusting ``ca_pems``; one dict per signature."""
    nss = tmp_path / "nss"
    nss.mkdir(exist_ok=True)
    subprocess.run(
        ["certutil", "-N", "--empty-password", "-d", f"sql:{nss}"], check=True, capture_output=True
    )
    for n, pem in enumerate(ca_pems):
        path = tmp_path / f"ca{n}.pem"
        path.write_text(pem, encoding="ascii")
        subprocess.run(
            ["certutil", "-A", "-n", f"egovca{n}", "-t", "CT,C,C", "-i", str(path), "-d", f"sql:{nss}"],
            check=True,
            capture_output=True,
        )
    target = tmp_path / "checked.pdf"
    target.write_bytes(pdf)
    out = subprocess.run(
        # Not -no-ocsp: poppler 22.12 then reports "Unknown issue with Certificate" for good chains. The
        # certificates here carry no OCSP address, so nothing is fetched anyway.
        ["pdfsig", "-nssdir", f"sql:{nss}", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    signatures: list[dict[str, str]] = []
    for line in out.stdout.splitlines():
        if re.match(r"^Signature #\d+:", line):
            signatures.append({})
        elif signatures and (m := re.match(r"^\s+- ([^:]+): (.*)$", line)):
            signatures[-1][m.group(1)] = m.group(2).strip()
        elif signatures and (m := re.match(r"^\s+- (.*)$", line)):
            signatures[-1][m.group(1).strip()] = ""
    assert signatures, f"pdfsig found no signature:\n{out.stdout}\n{out.stderr}"
    return signatures


def tamper(pdf: bytes, before: int) -> bytes:
    """Change one digit of a text position operator (``Tm``) located before offset ``before``: the file
    keeps its structure (same length, same offsets) but its content changed."""
    for match in re.finditer(rb"1 0 0 1 (\d+)\.?\d* (\d+)\.?\d* Tm", pdf[:before]):
        pos = match.start(1)
        digit = pdf[pos : pos + 1]
        replacement = b"3" if digit != b"3" else b"4"
        return pdf[:pos] + replacement + pdf[pos + 1 :]
    raise AssertionError("no text positioning operator to tamper with")
