"""State changes of the directory. Each function validates, runs in one transaction, writes one audit row
per change, and raises ``ValidationError`` (bad input) or ``PermissionDenied`` (not allowed) before
anything is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.directory import selectors
from egov.directory.models import Agency, CitizenProfile, Delegation, Position, Role, User
from egov.directory.validators import normalise_phone

AGENCY_EDITABLE = (
    "kind",
    "name",
    "short_name",
    "address",
    "phone",
    "email",
    "website",
    "code_qcvn102",
    "code_qd20",
    "admin_unit_code",
    "valid_from",
    "valid_to",
)


def _require_manage(actor: Any, agency: Agency | None) -> None:
    if actor is None:  # system actions (imports, demo) run without a user
        return
    if agency is None:
        if not selectors.is_system_admin(actor):
            raise PermissionDenied(_("Chỉ quản trị hệ thống được tạo cơ quan cấp cao nhất."))
        return
    if not selectors.can_manage_agency(actor, agency):
        raise PermissionDenied(_("Bạn không có quyền quản trị cơ quan này."))


def _set_path(agency: Agency) -> None:
    parent_path = agency.parent.path if agency.parent_id and agency.parent else "/"
    agency.path = f"{parent_path}{agency.pk}/"
    agency.depth = parent_path.count("/") - 1


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude, validate_constraints=True)


@transaction.atomic
def create_agency(
    *, actor: Any, parent: Agency | None = None, external_key: str | None = None, **fields: Any
) -> Agency:
    _require_manage(actor, parent)
    unknown = set(fields) - set(AGENCY_EDITABLE)
    if unknown:
        raise ValidationError({k: _("Trường không được phép.") for k in unknown})
    if fields.get("code_qcvn102") == "":
        fields["code_qcvn102"] = None
    agency = Agency(parent=parent, external_key=external_key, path="/pending/", **fields)
    _full_clean(agency, exclude=["path"])
    agency.save()
    _set_path(agency)
    agency.save(update_fields=["path", "depth"])
    record(
        "directory.agency.create", actor=actor, agency=parent or agency, target=agency, after=snapshot(agency)
    )
    return agency


@transaction.atomic
def update_agency(*, actor: Any, agency: Agency, **changes: Any) -> Agency:
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    _require_manage(actor, agency)
    unknown = set(changes) - set(AGENCY_EDITABLE)
    if unknown:
        raise ValidationError({k: _("Trường không được phép.") for k in unknown})
    if changes.get("code_qcvn102") == "":
        changes["code_qcvn102"] = None
    changed = {k: v for k, v in changes.items() if getattr(agency, k) != v}
    if not changed:
        return agency
    before = snapshot(agency, changed.keys())
    for key, value in changed.items():
        setattr(agency, key, value)
    _full_clean(agency)
    agency.save()
    record(
        "directory.agency.update",
        actor=actor,
        agency=agency,
        target=agency,
        before=before,
        after=snapshot(agency, changed.keys()),
    )
    return agency


@transaction.atomic
def move_agency(*, actor: Any, agency: Agency, new_parent: Agency | None) -> Agency:
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    _require_manage(actor, agency)
    _require_manage(actor, new_parent)
    if new_parent is not None and new_parent.path.startswith(agency.path):
        raise ValidationError({"parent": _("Không thể chuyển một cơ quan vào dưới chính nó.")})
    old_path, before = agency.path, {"parent_id": agency.parent_id, "path": agency.path}
    agency.parent = new_parent
    _set_path(agency)
    agency.save(update_fields=["parent", "path", "depth", "updated_at"])
    for child in Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk).order_by("depth"):
        child.path = agency.path + child.path[len(old_path) :]
        child.depth = child.path.count("/") - 2
        child.save(update_fields=["path", "depth"])
    record(
        "directory.agency.move",
        actor=actor,
        agency=agency,
        target=agency,
        before=before,
        after={"parent_id": agency.parent_id, "path": agency.path},
    )
    return agency


@transaction.atomic
def merge_agencies(
    *, actor: Any, predecessors: list[Agency], effective: dt.date, parent: Agency | None, **fields: Any
) -> Agency:
    """Sáp nhập: the predecessors end the day before ``effective``; a new agency succeeds them."""
    if len(predecessors) < 1:
        raise ValidationError({"predecessors": _("Cần ít nhất một đơn vị tiền thân.")})
    for old in predecessors:
        _require_manage(actor, old)
        if old.valid_to is not None and old.valid_to < effective - dt.timedelta(days=1):
            raise ValidationError({"predecessors": _("%(name)s đã hết hiệu lực.") % {"name": old.name}})
    successor = create_agency(actor=actor, parent=parent, valid_from=effective, **fields)
    for old in predecessors:
        close_agency(actor=actor, agency=old, last_day=effective - dt.timedelta(days=1))
    successor.predecessors.add(*predecessors)
    record(
        "directory.agency.merge",
        actor=actor,
        agency=successor,
        target=successor,
        after={"predecessors": sorted(a.pk for a in predecessors), "effective": effective},
    )
    return successor


@transaction.atomic
def close_agency(*, actor: Any, agency: Agency, last_day: dt.date) -> Agency:
    """An agency is never deleted: it stops being valid after ``last_day``."""
    return update_agency(actor=actor, agency=agency, valid_to=last_day)


# --- People ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_staff_user(
    *,
    actor: Any,
    username: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    is_superuser: bool = False,
) -> User:
    if actor is not None:
        admin_ids = selectors.admin_agency_ids(actor)
        if admin_ids is not None and (is_superuser or not admin_ids):
            raise PermissionDenied(_("Bạn không có quyền tạo tài khoản cán bộ."))
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        email=email.strip().lower(),
        phone=normalise_phone(phone) if phone else "",
        kind=User.Kind.STAFF,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    _full_clean(user, exclude=["password"])
    user.save()
    record(
        "directory.user.create",
        actor=actor,
        target=user,
        after=snapshot(user, ["username", "full_name", "email", "phone", "kind", "is_superuser"]),
    )
    return user


@transaction.atomic
def assign_position(
    *,
    actor: Any,
    user: User,
    agency: Agency,
    role: str,
    title: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> Position:
    _require_manage(actor, agency)
    if role == Role.SYSTEM_ADMIN and actor is not None and not selectors.is_system_admin(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống được giao vai trò quản trị hệ thống."))
    if user.kind != User.Kind.STAFF:
        raise ValidationError({"user": _("Chỉ tài khoản cán bộ mới được giao chức vụ.")})
    position = Position(
        user=user,
        agency=agency,
        role=role,
        title=title,
        valid_from=valid_from or timezone.localdate(),
        valid_to=valid_to,
    )
    _full_clean(position)
    if valid_to and valid_to < position.valid_from:
        raise ValidationError({"valid_to": _("Ngày kết thúc phải sau ngày bắt đầu.")})
    duplicate = (
        Position.objects.active(position.valid_from).filter(user=user, agency=agency, role=role).exists()
    )
    if duplicate:
        raise ValidationError({"role": _("Người này đã giữ vai trò đó tại cơ quan này.")})
    position.save()
    if role == Role.SYSTEM_ADMIN and not user.is_staff:
        user.is_staff = True  # may open the Django admin
        user.save(update_fields=["is_staff"])
    record("directory.position.assign", actor=actor, agency=agency, target=position, after=snapshot(position))
    return position


@transaction.atomic
def end_position(*, actor: Any, position: Position, last_day: dt.date | None = None) -> Position:
    position = Position.objects.select_for_update().get(pk=position.pk)
    _require_manage(actor, position.agency)
    last_day = last_day or timezone.localdate()
    if last_day < position.valid_from:
        raise ValidationError({"valid_to": _("Ngày kết thúc phải sau ngày bắt đầu.")})
    before = snapshot(position, ["valid_to"])
    position.valid_to = last_day
    position.save(update_fields=["valid_to"])
    record(
        "directory.position.end",
        actor=actor,
        agency=position.agency,
        target=position,
        before=before,
        after=snapshot(position, ["valid_to"]),
    )
    return position


@transaction.atomic
def create_delegation(
    *,
    actor: Any,
    delegator: User,
    delegate: User,
    agency: Agency,
    role: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
) -> Delegation:
    """Ủy quyền: only the holder of the role (or an administrator of the agency) may delegate it."""
    # Checked on the first day the delegation can take effect: a window that started a little earlier (e.g.
    # "from an hour ago") is in force from now on.
    holds = (
        Position.objects.active(timezone.localtime(max(starts_at, timezone.now())).date())
        .filter(user=delegator, agency=agency, role=role)
        .exists()
    )
    if not holds:
        raise ValidationError({"role": _("Người ủy quyền không giữ vai trò này tại cơ quan.")})
    if actor is not None and actor.pk != delegator.pk and not selectors.can_manage_agency(actor, agency):
        raise PermissionDenied(_("Chỉ người giữ vai trò hoặc quản trị cơ quan được ủy quyền."))
    if delegate.kind != User.Kind.STAFF:
        raise ValidationError({"delegate": _("Người được ủy quyền phải là cán bộ.")})
    if role == Role.SYSTEM_ADMIN:
        raise ValidationError({"role": _("Không được ủy quyền vai trò quản trị hệ thống.")})
    delegation = Delegation(
        delegator=delegator,
        delegate=delegate,
        agency=agency,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
    )
    _full_clean(delegation)
    delegation.save()
    record(
        "directory.delegation.create",
        actor=actor,
        agency=agency,
        target=delegation,
        after=snapshot(delegation),
    )
    return delegation


@transaction.atomic
def revoke_delegation(*, actor: Any, delegation: Delegation) -> Delegation:
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if (
        actor is not None
        and actor.pk != delegation.delegator_id
        and not selectors.can_manage_agency(actor, delegation.agency)
    ):
        raise PermissionDenied(_("Bạn không có quyền thu hồi ủy quyền này."))
    if delegation.revoked_at:
        return delegation
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    record(
        "directory.delegation.revoke",
        actor=actor,
        agency=delegation.agency,
        target=delegation,
        after=snapshot(delegation, ["revoked_at"]),
    )
    return delegation


@transaction.atomic
def register_citizen(
    *,
    full_name: str,
    identity_number: str,
    password: str,
    phone: str = "",
    email: str = "",
    date_of_birth: dt.date | None = None,
    address: str = "",
) -> User:
    """Công dân đăng ký tài khoản: phone or e-mail is the login; CCCD identifies the person."""
    phone = normalise_phone(phone) if phone else ""
    email = email.strip().lower()
    if not phone and not email:
        raise ValidationError({"phone": _("Cần số điện thoại hoặc thư điện tử để đăng nhập.")})
    username = phone or email
    errors: dict[str, Any] = {}
    if User.objects.filter(username=username).exists():
        errors["phone" if phone else "email"] = _("Tài khoản này đã tồn tại.")
    if CitizenProfile.objects.filter(identity_number=identity_number).exists():
        errors["identity_number"] = _("Số CCCD này đã có tài khoản.")
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username, full_name=full_name.strip(), email=email, phone=phone, kind=User.Kind.CITIZEN
    )
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    _full_clean(user, exclude=["password"])
    profile = CitizenProfile(
        user=user, identity_number=identity_number, date_of_birth=date_of_birth, address=address
    )
    _full_clean(profile, exclude=["user"])
    user.save()
    profile.user = user
    profile.save()
    record(
        "directory.citizen.register",
        actor=user,
        target=user,
        after={"username": username, "full_name": user.full_name, "identity_number": identity_number},
    )
    return user


def reset_password(*, actor: Any, user: User, password: str, via: str = "email") -> User:
    """Đặt lại mật khẩu: a citizen sets a new password after proving, with the one-time link of the reset
    e-mail (checked by the caller with Django's token generator), that the account is his. Citizen accounts
    only (staff passwords are reset by their administrators). Validates with the project's password
    validators, saves, and writes ``directory.password_reset`` (never the password or its hash)."""
    from django.contrib.auth.password_validation import validate_password

    if actor is None or getattr(actor, "pk", None) != user.pk:
        raise PermissionDenied(_("Chỉ chủ tài khoản được đặt lại mật khẩu của mình."))
    if user.kind != User.Kind.CITIZEN or not user.is_active:
        raise PermissionDenied(_("Tài khoản này không đặt lại mật khẩu qua Cổng dịch vụ công được."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record(
            "directory.password_reset",
            actor=locked,
            target=locked,
            after={"username": locked.username, "via": via},
        )
    user.password = locked.password
    return user


# --- Two-factor authentication (TOTP, django-otp) (added for the staff web interface; additive) ----------


def _totp_token_ok(device: Any, token: str) -> bool:
    """Checks a 6-digit code against a TOTP device. Runs outside the caller's transaction on purpose: a wrong
    code increments django-otp's throttle counter, which must stay counted when the service then fails."""
    token = "".join(str(token).split())
    return token.isdigit() and len(token) == device.digits and bool(device.verify_token(token))


def start_totp_enrolment(*, actor: User) -> Any:
    """Creates the user's pending (unconfirmed) TOTP device, or returns the pending one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not getattr(actor, "is_government_staff", False):
        raise PermissionDenied(_("Chỉ tài khoản cán bộ mới dùng được xác thực hai lớp."))
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
            raise ValidationError(_("Tài khoản đã bật xác thực hai lớp."))
        device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=actor, name="egov", confirmed=False)
            record("directory.otp.enrol", actor=actor, target=device, after={"user_id": actor.pk})
    return device


def confirm_totp_device(*, actor: User, device: Any, token: str) -> Any:
    """Turns two-factor authentication on once the user proves the authenticator app shows the right code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if device.user_id != actor.pk:
        raise PermissionDenied(_("Thiết bị xác thực không thuộc tài khoản này."))
    if device.confirmed:
        return device
    if not _totp_token_ok(device, token):
        raise ValidationError({"token": _("Mã xác thực không đúng hoặc đã hết hạn.")})
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        record(
            "directory.otp.confirm",
            actor=actor,
            target=device,
            after={"user_id": actor.pk, "confirmed": True},
        )
    return device


def disable_totp(*, actor: User, token: str) -> None:
    """Turns two-factor authentication off; the user must give a current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = list(TOTPDevice.objects.filter(user=actor, confirmed=True))
    if not devices:
        raise ValidationError(_("Tài khoản chưa bật xác thực hai lớp."))
    if not any(_totp_token_ok(d, token) for d in devices):
        raise ValidationError({"token": _("Mã xác thực không đúng hoặc đã hết hạn.")})
    with transaction.atomic():
        ids = sorted(d.pk for d in devices)
        TOTPDevice.objects.filter(user=actor).delete()
        record("directory.otp.disable", actor=actor, target=actor, after={"removed_devices": ids})


@transaction.atomic
def add_predecessors(*, actor: Any, agency: Agency, predecessors: list[Agency]) -> list[Agency]:
    """Record that ``agency`` succeeds ``predecessors`` (e.g. units of two imported models); returns the
    links that were missing and are now added (none: nothing written)."""
    _require_manage(actor, agency)
    existing = set(agency.predecessors.values_list("pk", flat=True))
    new = [p for p in predecessors if p.pk not in existing and p.pk != agency.pk]
    if not new:
        return []
    agency.predecessors.add(*new)
    record(
        "directory.agency.predecessors",
        actor=actor,
        agency=agency,
        target=agency,
        before={"predecessors": sorted(existing)},
        after={"predecessors": sorted(existing | {p.pk for p in new})},
    )
    return new
