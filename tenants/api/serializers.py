from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tenants.models import ApiKey, Invitation, Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.services.organisations import PROFILE_FIELDS, SELF_SERVICE_KINDS
from tenants.validators import normalize_uscc


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = [
            "id",
            "kind",
            "name_zh",
            "name_en",
            "credit_code",
            "province",
            "city",
            "industry",
            "size_class",
            "founded_on",
            "is_verified",
        ]
        read_only_fields = ["id", "kind", "is_verified"]


class TenantCreateSerializer(serializers.ModelSerializer):
    first_member_email = serializers.EmailField(required=False, allow_blank=True, write_only=True)

    class Meta:
        model = Tenant
        fields = ["kind", *PROFILE_FIELDS, "first_member_email"]


class OrganisationRegisterSerializer(serializers.ModelSerializer):
    """A company or partner registering itself; the person registering becomes its owner."""

    kind = serializers.ChoiceField(
        choices=TenantKind.choices,
        help_text="company or partner: government offices and operator teams are registered by the platform operator.",
    )

    class Meta:
        model = Tenant
        fields = ["kind", *PROFILE_FIELDS]

    def validate_kind(self, value):
        if value not in SELF_SERVICE_KINDS:
            raise serializers.ValidationError(
                _("Only the platform operator can register government or operator tenants.")
            )
        return value

    def validate_credit_code(self, value):
        return normalize_uscc(value)


class RegisteredOrganisationSerializer(serializers.Serializer):
    organisation = TenantSerializer()
    role = serializers.CharField(help_text="Your role in it (its owner).")


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "created_at"]
        read_only_fields = ["id", "email", "full_name", "created_at"]


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    tenant = TenantSerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)
    memberships = serializers.ListField(child=serializers.DictField())


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "created_at", "expires_at"]
        read_only_fields = ["id", "status", "invited_by", "created_at", "expires_at"]


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "role", "created_by", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text=_("The secret. Shown only in this response."))

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class VerifyInputSerializer(serializers.Serializer):
    verified = serializers.BooleanField()
