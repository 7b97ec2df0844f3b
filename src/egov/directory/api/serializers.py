"""Serializers of the directory API.

Output serializers describe what is read; input serializers (``...CreateSerializer``, ``...UpdateSerializer``
and the action bodies) only check the shape of a request. The rules (permissions, uniqueness, the audit
trail) live in ``directory.services``, which the views call with the validated data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from egov.directory.models import Agency, Delegation, Position, Role, User

# --- Agencies -------------------------------------------------------------------------------------------


class AgencyRefSerializer(serializers.ModelSerializer[Agency]):
    """An agency named in another object (breadcrumb, position, delegation)."""

    class Meta:
        model = Agency
        fields = ("id", "name", "short_name", "kind")
        read_only_fields = fields


class AgencySerializer(serializers.ModelSerializer[Agency]):
    """Cơ quan, đơn vị: one node of the administrative tree (agencies are never deleted, only closed)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_current = serializers.BooleanField(
        read_only=True, help_text="Valid today (between valid_from and valid_to)."
    )
    predecessors: serializers.PrimaryKeyRelatedField[Agency] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the units this one succeeded (merger, split, renaming)."
    )
    successors: serializers.PrimaryKeyRelatedField[Agency] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the units that succeeded this one."
    )

    class Meta:
        model = Agency
        fields: tuple[str, ...] = (
            "id", "parent", "kind", "kind_display", "name", "short_name",
            "code_qcvn102", "code_qd20", "admin_unit_code",
            "address", "phone", "email", "website",
            "valid_from", "valid_to", "is_current", "depth", "predecessors", "successors",
        )  # fmt: skip
        read_only_fields = fields


class AgencyDetailSerializer(AgencySerializer):
    """An agency with its breadcrumb (from the root down to the agency itself)."""

    breadcrumb = serializers.SerializerMethodField()

    class Meta(AgencySerializer.Meta):
        fields = (*AgencySerializer.Meta.fields, "breadcrumb")
        read_only_fields = fields

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_breadcrumb(self, agency: Agency) -> list[dict[str, Any]]:
        chain = [*agency.ancestors(), agency]
        return list(AgencyRefSerializer(chain, many=True).data)


def _check_validity(attrs: dict[str, Any], instance: Agency | None = None) -> None:
    valid_from = attrs.get("valid_from", getattr(instance, "valid_from", None))
    valid_to = attrs.get("valid_to", getattr(instance, "valid_to", None))
    if valid_from and valid_to and valid_to < valid_from:
        raise serializers.ValidationError(
            {"valid_to": [_("Ngày hết hiệu lực không được trước ngày có hiệu lực.")]}
        )


class AgencyUpdateSerializer(serializers.ModelSerializer[Agency]):
    """The editable fields of an agency (``PATCH``: send only what changes). Codes follow QCVN 102:2016
    (``NNN.NN.NN.XNN``) and QĐ 20/2020; ``admin_unit_code`` is the GSO code of an administrative unit."""

    class Meta:
        model = Agency
        fields: tuple[str, ...] = (
            "kind", "name", "short_name", "address", "phone", "email", "website",
            "code_qcvn102", "code_qd20", "admin_unit_code", "valid_from", "valid_to",
        )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_validity(attrs, self.instance)
        return attrs


class AgencyChildCreateSerializer(AgencyUpdateSerializer):
    """A new agency under the agency of the URL."""

    class Meta(AgencyUpdateSerializer.Meta):
        extra_kwargs: dict[str, dict[str, Any]] = {"kind": {"required": True}, "name": {"required": True}}


class AgencyCreateSerializer(AgencyChildCreateSerializer):
    """A new agency; ``parent`` empty creates a top-level agency (system administrators only)."""

    class Meta(AgencyChildCreateSerializer.Meta):
        fields = ("parent", *AgencyChildCreateSerializer.Meta.fields)
        extra_kwargs = {
            **AgencyChildCreateSerializer.Meta.extra_kwargs,
            "parent": {"required": False, "allow_null": True, "help_text": "Id of the superior agency."},
        }


class AgencyCloseSerializer(serializers.Serializer[Any]):
    """Closing an agency: it stays in the directory but is no longer valid after ``last_day``."""

    last_day = serializers.DateField(
        required=False, help_text="Last day the agency is valid; today when omitted."
    )

    def validate_last_day(self, value: dt.date) -> dt.date:
        agency = self.context.get("agency")
        if agency is not None and agency.valid_from and value < agency.valid_from:
            raise serializers.ValidationError(_("Ngày hết hiệu lực không được trước ngày có hiệu lực."))
        return value


# --- People and positions -------------------------------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "username", "full_name")
        read_only_fields = fields


class PositionSerializer(serializers.ModelSerializer[Position]):
    """Chức vụ: a person's post in an agency or internal unit and the role it carries."""

    user_detail = UserRefSerializer(source="user", read_only=True)
    agency_detail = AgencyRefSerializer(source="agency", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Position
        fields = (
            "id", "user", "user_detail", "agency", "agency_detail", "role", "role_display", "title",
            "valid_from", "valid_to",
        )  # fmt: skip
        read_only_fields = fields


class PositionCreateSerializer(serializers.ModelSerializer[Position]):
    """Giao chức vụ: a staff account takes a role in an agency (agency administrators of that agency or an
    ancestor, and system administrators)."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(kind=User.Kind.STAFF))
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())

    class Meta:
        model = Position
        fields = ("user", "agency", "role", "title", "valid_from", "valid_to")
        extra_kwargs = {"valid_from": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("valid_from") or timezone.localdate()
        if attrs.get("valid_to") and attrs["valid_to"] < start:
            raise serializers.ValidationError({"valid_to": [_("Ngày kết thúc phải sau ngày bắt đầu.")]})
        return attrs


class PositionEndSerializer(serializers.Serializer[Any]):
    last_day = serializers.DateField(required=False, help_text="Last day in office; today when omitted.")


class PersonSerializer(serializers.ModelSerializer[User]):
    """Cán bộ, công chức: a staff account and the current positions of it the caller may see."""

    positions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "username", "full_name", "email", "phone", "is_active", "positions")
        read_only_fields = fields

    @extend_schema_field(PositionSerializer(many=True))
    def get_positions(self, user: User) -> list[dict[str, Any]]:
        positions = getattr(user, "visible_positions", [])
        return list(PositionSerializer(positions, many=True).data)


class PersonCreateSerializer(serializers.ModelSerializer[User]):
    """A new staff account (agency administrators and system administrators). Without a password the
    account cannot log in with a password until one is set."""

    full_name = serializers.CharField(max_length=255)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        trim_whitespace=False,
    )

    class Meta:
        model = User
        fields = ("username", "full_name", "email", "phone", "password")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        password = attrs.get("password")
        if password:
            probe = User(
                username=attrs.get("username", ""),
                full_name=attrs.get("full_name", ""),
                email=attrs.get("email", ""),
            )
            try:
                validate_password(password, probe)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


# --- Delegations ----------------------------------------------------------------------------------------


class DelegationSerializer(serializers.ModelSerializer[Delegation]):
    """Ủy quyền: the delegator's role in an agency is exercised by the delegate for a time window."""

    delegator_detail = UserRefSerializer(source="delegator", read_only=True)
    delegate_detail = UserRefSerializer(source="delegate", read_only=True)
    agency_detail = AgencyRefSerializer(source="agency", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    is_active = serializers.SerializerMethodField(
        help_text="In force now: inside its window and not revoked."
    )

    class Meta:
        model = Delegation
        fields = (
            "id", "delegator", "delegator_detail", "delegate", "delegate_detail", "agency", "agency_detail",
            "role", "role_display", "starts_at", "ends_at", "reason", "revoked_at", "is_active",
        )  # fmt: skip
        read_only_fields = fields

    def get_is_active(self, delegation: Delegation) -> bool:
        now = timezone.now()
        return delegation.revoked_at is None and delegation.starts_at <= now < delegation.ends_at


class DelegationCreateSerializer(serializers.ModelSerializer[Delegation]):
    """A new delegation. ``delegator`` defaults to the caller; only the holder of the role or an administrator
    of the agency may delegate it."""

    delegator = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(kind=User.Kind.STAFF),
        required=False,
        help_text="The holder of the role; the caller when omitted.",
    )
    delegate = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(kind=User.Kind.STAFF))
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())

    class Meta:
        model = Delegation
        fields = ("delegator", "delegate", "agency", "role", "starts_at", "ends_at", "reason")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError(
                {"ends_at": [_("Thời điểm kết thúc phải sau thời điểm bắt đầu.")]}
            )
        delegator = attrs.get("delegator") or self.context["request"].user
        if attrs["delegate"].pk == delegator.pk:
            raise serializers.ValidationError({"delegate": [_("Không thể tự ủy quyền cho chính mình.")]})
        return attrs


# --- The caller -----------------------------------------------------------------------------------------


class ActingRoleSerializer(serializers.Serializer[Any]):
    """A role the caller may act in now, by their own position or by delegation."""

    agency = AgencyRefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    role_display = serializers.CharField()
    via = serializers.ChoiceField(choices=[("position", "position"), ("delegation", "delegation")])
    delegation = serializers.IntegerField(
        allow_null=True, help_text="Id of the delegation, if via delegation."
    )


class MeSerializer(serializers.Serializer[Any]):
    """The caller's account, current positions, delegations received and the roles they can act in."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()
    is_system_admin = serializers.BooleanField()
    positions = PositionSerializer(many=True)
    delegations = DelegationSerializer(many=True, help_text="Delegations in force to the caller.")
    roles = ActingRoleSerializer(many=True)
