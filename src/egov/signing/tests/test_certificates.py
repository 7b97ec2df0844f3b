from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.signing import crypto, images, selectors, services
from egov.signing.models import Certificate
from egov.signing.tests.helpers import external_ca


def _name(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.NameAttribute:
    return cert.subject.get_attributes_for_oid(oid)[0]


def test_builtin_ca_is_created_once(db):
    ca = services.ensure_builtin_ca(actor=None)
    assert services.ensure_builtin_ca(actor=None).pk == ca.pk
    assert Certificate.objects.filter(kind=Certificate.Kind.ROOT_CA).count() == 1
    assert AuditEntry.objects.filter(action="signing.certificate.create_ca").count() == 1
    cert = crypto.load_pem(ca.certificate_pem)
    assert ca.common_name == "egov Demo Root CA"
    assert "demo" in ca.organization.lower()
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert crypto.is_self_signed(cert)
    assert ca.private_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert ca.fingerprint_sha256 == crypto.fingerprint(cert)
    assert ca.kind == Certificate.Kind.ROOT_CA and ca.owner_agency is None and not ca.imported
    # No key material in the audit trail.
    entry = AuditEntry.objects.get(action="signing.certificate.create_ca")
    assert "PRIVATE" not in str(entry.after) and "private_key_pem" not in entry.after


def test_key_sizes():
    from egov.signing.tests.conftest import REAL_NEW_RSA_KEY

    assert REAL_NEW_RSA_KEY(crypto.LEAF_KEY_BITS).key_size == 2048
    assert crypto.CA_KEY_BITS == 3072


def test_only_system_admins_create_the_ca(tree, agency_admin, system_admin):
    with pytest.raises(PermissionDenied):
        services.ensure_builtin_ca(actor=agency_admin)
    assert not Certificate.objects.exists()
    assert services.ensure_builtin_ca(actor=system_admin).kind == Certificate.Kind.ROOT_CA


def test_issue_agency_certificate(ca, tree, agency_admin):
    cert_row = services.issue_agency_certificate(actor=agency_admin, agency=tree.department)
    cert = crypto.load_pem(cert_row.certificate_pem)
    assert cert_row.kind == Certificate.Kind.AGENCY and cert_row.owner_agency == tree.department
    assert cert_row.issuer == ca and cert_row.owner_user is None
    cn = _name(cert, NameOID.COMMON_NAME)
    assert cn.value == "Sở Nội vụ"
    assert cn._type == x509.name._ASN1Type.UTF8String
    assert _name(cert, NameOID.ORGANIZATION_NAME).value == "Ủy ban nhân dân tỉnh Demo"
    assert _name(cert, NameOID.LOCALITY_NAME).value == "Demo"
    assert _name(cert, NameOID.COUNTRY_NAME).value == "VN"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and crypto.DOCUMENT_SIGNING_EKU in eku
    cert.verify_directly_issued_by(crypto.load_pem(ca.certificate_pem))
    assert crypto.load_pem_chain(cert_row.chain_pem)[0].subject == crypto.load_pem(ca.certificate_pem).subject
    assert cert_row.not_after <= ca.not_after
    images.check_png(bytes(cert_row.seal_image))
    assert AuditEntry.objects.filter(
        action="signing.certificate.issue_agency", actor=agency_admin, object_id=str(cert_row.pk)
    ).exists()
    assert selectors.agency_certificate_for(tree.department) == cert_row


def test_issue_personal_certificate(ca, tree, leader):
    row = services.issue_personal_certificate(actor=None, user=leader, agency=tree.department)
    cert = crypto.load_pem(row.certificate_pem)
    assert row.kind == Certificate.Kind.PERSONAL and row.owner_user == leader
    assert _name(cert, NameOID.COMMON_NAME).value == leader.get_full_name()
    assert _name(cert, NameOID.ORGANIZATION_NAME).value == "Sở Nội vụ"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [leader.email]
    images.check_png(bytes(row.signature_image))
    assert selectors.signing_certificate_for(leader) == row


def test_personal_certificate_in_an_internal_unit_names_the_unit(ca, tree, specialist):
    row = services.issue_personal_certificate(actor=None, user=specialist, agency=tree.unit)
    assert row.organization == "Sở Nội vụ"
    assert "OU=Phòng Tổ chức" in row.subject


def test_personal_certificate_needs_a_position_in_the_agency(ca, tree, leader):
    with pytest.raises(ValidationError) as err:
        services.issue_personal_certificate(actor=None, user=leader, agency=tree.office)
    assert "user" in err.value.message_dict
    assert not Certificate.objects.filter(kind=Certificate.Kind.PERSONAL).exists()


def test_foreign_administrator_cannot_issue(ca, tree, foreign_staff, leader):
    count = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.issue_agency_certificate(actor=foreign_staff, agency=tree.department)
    with pytest.raises(PermissionDenied):
        services.issue_personal_certificate(actor=foreign_staff, user=leader, agency=tree.department)
    assert Certificate.objects.count() == 1  # the CA only
    assert AuditEntry.objects.count() == count


def test_visibility(ca, tree, agency_cert, personal_cert, deputy, foreign_staff, clerk, system_admin):
    assert set(selectors.certificates_visible_to(clerk)) == {ca, agency_cert, personal_cert}
    assert set(selectors.certificates_visible_to(foreign_staff)) == {ca}
    assert set(selectors.certificates_visible_to(system_admin)) == {ca, agency_cert, personal_cert}
    assert selectors.certificate_get(deputy, personal_cert.pk) == personal_cert
    with pytest.raises(Certificate.DoesNotExist):
        selectors.certificate_get(foreign_staff, agency_cert.pk)


def test_private_keys_use_the_configured_passphrase(tree, monkeypatch):
    monkeypatch.setenv("EGOV_SIGNING_KEY_PASSPHRASE", "một mật khẩu dài và bí mật")
    services.ensure_builtin_ca()
    row = services.issue_agency_certificate(actor=None, agency=tree.office)
    crypto.decrypt_private_key(row.private_key_pem, "một mật khẩu dài và bí mật".encode())
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(row.private_key_pem, b"wrong")
    # Another passphrase cannot open the stored keys, and the error says what to do.
    monkeypatch.setenv("EGOV_SIGNING_KEY_PASSPHRASE", "another one")
    with pytest.raises(ImproperlyConfigured, match="EGOV_SIGNING_KEY_PASSPHRASE"):
        services.issue_agency_certificate(actor=None, agency=tree.commune)
    with pytest.raises(ImproperlyConfigured):
        services.sign_pdf(actor=None, pdf=b"%PDF", certificate=row)


def test_reencrypt_private_keys(ca, tree, agency_cert, monkeypatch, settings):
    old = crypto.derive_passphrase(str(settings.SECRET_KEY))
    monkeypatch.setenv("EGOV_SIGNING_KEY_PASSPHRASE", "new passphrase 2026")
    with pytest.raises(ValidationError):
        services.reencrypt_private_keys(actor=None, old_passphrase=b"not the old one")
    assert services.reencrypt_private_keys(actor=None, old_passphrase=old) == 2
    agency_cert.refresh_from_db()
    crypto.decrypt_private_key(agency_cert.private_key_pem)  # with the new passphrase
    assert AuditEntry.objects.filter(action="signing.keys.reencrypt").exists()


def test_rekey_command(ca, tree, monkeypatch, settings, tmp_path):
    secret = tmp_path / "old_secret"
    secret.write_text(str(settings.SECRET_KEY))
    monkeypatch.setenv("EGOV_SIGNING_KEY_PASSPHRASE", "after rotation")
    call_command("signing_rekey", old_secret_key_file=str(secret))
    ca.refresh_from_db()
    crypto.decrypt_private_key(ca.private_key_pem, b"after rotation")


def test_production_warns_without_a_passphrase(db, settings, monkeypatch):
    from egov.signing import checks

    settings.PRODUCTION = True
    monkeypatch.delenv("EGOV_SIGNING_KEY_PASSPHRASE", raising=False)
    assert [m.id for m in checks.key_passphrase_configured()] == ["signing.W001"]
    monkeypatch.setenv("EGOV_SIGNING_KEY_PASSPHRASE", "set")
    assert checks.key_passphrase_configured() == []
    assert checks.vietnamese_font_installed() == []


def test_ca_command_prints_the_pem(db, tmp_path, capsys):
    call_command("signing_ca")
    assert capsys.readouterr().out.startswith("-----BEGIN CERTIFICATE-----")
    out = tmp_path / "ca.pem"
    call_command("signing_ca", out=str(out))
    assert (
        crypto.load_pem(out.read_text()).subject
        == crypto.load_pem(selectors.builtin_ca().certificate_pem).subject
    )
    assert Certificate.objects.count() == 1


# --- PKCS#12 import -------------------------------------------------------------------------------------


def test_pkcs12_round_trip(db, tree, agency_admin, leader):
    vendor = external_ca()
    issued = vendor.issue("Lê Văn Nam")
    data = vendor.pkcs12(issued, password="Mật-khẩu-123")
    row = services.import_pkcs12(
        actor=agency_admin,
        data=data,
        password="Mật-khẩu-123",
        owner_agency=tree.department,
        owner_user=leader,
    )
    assert row.imported and row.kind == Certificate.Kind.PERSONAL and row.owner_user == leader
    assert row.fingerprint_sha256 == crypto.fingerprint(issued.certificate)
    assert row.common_name == "Lê Văn Nam" and row.locality == "Huế"
    assert row.issuer is None  # the vendor's root is not (yet) in this installation
    assert [c.subject for c in crypto.load_pem_chain(row.chain_pem)] == [vendor.root.certificate.subject]
    key = crypto.decrypt_private_key(row.private_key_pem)
    assert key.private_numbers() == issued.key.private_numbers()
    assert AuditEntry.objects.filter(action="signing.certificate.import", object_id=str(row.pk)).exists()
    # The same file twice is refused.
    with pytest.raises(ValidationError, match="đã có"):
        services.import_pkcs12(actor=None, data=data, password="Mật-khẩu-123", owner_agency=tree.department)
    # Trusting the vendor's root links it.
    root = services.import_trusted_root(actor=None, data=crypto.to_pem(vendor.root.certificate).encode())
    assert root.kind == Certificate.Kind.ROOT_CA and root.imported and not root.has_private_key
    assert root in selectors.trust_roots()


def test_pkcs12_with_legacy_triple_des_encryption(db, tree):
    """Older Windows exports protect PKCS#12 files with 3DES (and SHA-1 MACs): they still import."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    vendor = external_ca()
    issued = vendor.issue("Văn thư Sở Tài chính")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303 - what old exports use
        .build(b"legacy")
    )
    data = pkcs12.serialize_key_and_certificates(b"old", issued.key, issued.certificate, None, encryption)
    row = services.import_pkcs12(actor=None, data=data, password="legacy", owner_agency=tree.department)
    assert row.common_name == "Văn thư Sở Tài chính"


def test_pkcs12_wrong_password_saves_nothing(db, tree):
    vendor = external_ca()
    data = vendor.pkcs12(vendor.issue("Sở Tài chính"), password="đúng")
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as err:
        services.import_pkcs12(actor=None, data=data, password="sai", owner_agency=tree.department)
    assert err.value.message_dict == {"password": ["Sai mật khẩu của tệp chứng thư số (PKCS#12)."]}
    assert err.value.error_dict["password"][0].code == "wrong_password"
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.count() == count


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("garbage", "not_pkcs12"),
        ("no_key", "no_key"),
        ("expired", "expired"),
        ("not_yet_valid", "not_yet_valid"),
        ("encryption_only", "key_usage"),
    ],
)
def test_pkcs12_refused(db, tree, case, code):
    vendor = external_ca()
    now = dt.datetime.now(dt.UTC)
    if case == "garbage":
        data = b"%PDF-1.4 this is not a PKCS#12 file"
    elif case == "no_key":
        from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

        cert = vendor.issue("Không có khóa").certificate
        data = pkcs12.serialize_key_and_certificates(b"x", None, cert, None, BestAvailableEncryption(b"pw"))
    elif case == "expired":
        data = vendor.pkcs12(
            vendor.issue(
                "Hết hạn", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1)
            ),
            "pw",
        )
    elif case == "not_yet_valid":
        data = vendor.pkcs12(vendor.issue("Chưa hiệu lực", not_before=now + dt.timedelta(days=2)), "pw")
    else:
        data = vendor.pkcs12(vendor.issue("Chỉ mã hóa", signing=False), "pw")
    with pytest.raises(ValidationError) as err:
        services.import_pkcs12(actor=None, data=data, password="pw", owner_agency=tree.department)
    errors = err.value.error_dict
    field = next(iter(errors))
    assert errors[field][0].code == code
    assert err.value.messages[0]  # a message a person can read
    assert not Certificate.objects.exists()


def test_import_trusted_root_is_for_system_admins(db, tree, agency_admin):
    vendor = external_ca()
    pem = crypto.to_pem(vendor.root.certificate).encode()
    with pytest.raises(PermissionDenied):
        services.import_trusted_root(actor=agency_admin, data=pem)
    leaf = crypto.to_pem(vendor.issue("Không phải CA").certificate).encode()
    with pytest.raises(ValidationError):
        services.import_trusted_root(actor=None, data=leaf)
    assert not Certificate.objects.exists()


# --- Life cycle -----------------------------------------------------------------------------------------


def test_revoke(ca, tree, agency_cert, personal_cert, deputy, foreign_staff, agency_admin):
    with pytest.raises(PermissionDenied):
        services.revoke_certificate(actor=foreign_staff, certificate=agency_cert)
    services.revoke_certificate(actor=agency_admin, certificate=agency_cert, reason="Đổi tên cơ quan")
    agency_cert.refresh_from_db()
    assert agency_cert.status == Certificate.Status.REVOKED and agency_cert.revoked_at
    assert selectors.agency_certificate_for(tree.department) is None
    with pytest.raises(ValidationError):
        services.revoke_certificate(actor=agency_admin, certificate=agency_cert)
    # A person may revoke their own certificate (lost token, left the post).
    services.revoke_certificate(actor=deputy, certificate=personal_cert, reason="Mất thiết bị")
    entry = AuditEntry.objects.filter(action="signing.certificate.revoke").latest("seq")
    assert entry.before["status"] == "active" and entry.after["status"] == "revoked"
    with pytest.raises(PermissionDenied):
        services.revoke_certificate(actor=agency_admin, certificate=ca)


def test_expire_certificates(ca, tree, agency_cert):
    Certificate.objects.filter(pk=agency_cert.pk).update(
        not_before=timezone.now() - dt.timedelta(days=800), not_after=timezone.now() - dt.timedelta(days=1)
    )
    assert services.expire_certificates() == 1
    assert services.expire_certificates() == 0
    agency_cert.refresh_from_db()
    assert agency_cert.status == Certificate.Status.EXPIRED


def test_expire_task_runs(ca, tree, agency_cert):
    from egov.signing import tasks

    Certificate.objects.filter(pk=agency_cert.pk).update(
        not_before=timezone.now() - dt.timedelta(days=800), not_after=timezone.now() - dt.timedelta(days=1)
    )
    assert tasks.expire_certificates.call() == 1


def test_set_appearance_images(ca, tree, agency_cert, personal_cert, deputy, clerk):
    seal = images.make_seal_png("Sở Nội vụ tỉnh Demo")
    services.set_appearance_images(actor=None, certificate=agency_cert, seal_image=seal)
    with pytest.raises(ValidationError):
        services.set_appearance_images(actor=None, certificate=agency_cert, seal_image=b"GIF89a not a png")
    with pytest.raises(PermissionDenied):
        services.set_appearance_images(actor=clerk, certificate=personal_cert, signature_image=None)
    services.set_appearance_images(actor=deputy, certificate=personal_cert, signature_image=None)
    personal_cert.refresh_from_db()
    assert personal_cert.signature_image is None
    assert AuditEntry.objects.filter(action="signing.certificate.set_images").count() == 2


def test_staff_of_another_agency_cannot_sign_for_it(ca, tree, agency_cert, personal_cert, leader):
    other = make_staff("vanthukhac", tree.other_province, Role.CLERK)
    assert not selectors.can_sign_with(other, agency_cert)
    assert not selectors.can_sign_with(leader, personal_cert)  # someone else's personal certificate
    assert not selectors.can_sign_with(leader, agency_cert)  # the seal is the clerk's (văn thư)
    assert selectors.can_sign_with(make_staff("vanthu2", tree.department, Role.CLERK), agency_cert)
    assert not selectors.can_sign_with(None, ca)


def test_long_vietnamese_names_fit_the_x509_bounds():
    """CN/O are limited to 64 bytes of UTF-8, not 64 characters: 51 letters with diacritics are 65 bytes."""
    name = "Trung tâm Phục vụ hành chính công thành phố Cần Thơ"
    assert len(name) < 64 < len(name.encode())
    subject = crypto.build_name(common_name=name, organization=name, unit="Phòng " + name)
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME):
        value = str(subject.get_attributes_for_oid(oid)[0].value)
        assert len(value.encode()) <= 64 and name.startswith(value.removeprefix("Phòng "))
        assert not value.endswith(" ")
    assert crypto.fit_utf8("Sở Nội vụ", 64) == "Sở Nội vụ"
    assert crypto.fit_utf8("ầầầ", 4) == "ầ"  # never half a character
