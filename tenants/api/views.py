"""REST endpoints for the active tenant's members, invitations, API keys and profile."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api.mixins import TenantScopedApiMixin
from tenants.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    InvitationAcceptSerializer,
    InvitationSerializer,
    MembershipSerializer,
    MeSerializer,
    OrganisationRegisterSerializer,
    RegisteredOrganisationSerializer,
    RoleInputSerializer,
    TenantCreateSerializer,
    TenantSerializer,
    VerifyInputSerializer,
)
from tenants.middleware import SESSION_KEY
from tenants.models import ApiKey, Invitation, Membership, Tenant
from tenants.roles import OWNER_ROLE, Perm, TenantKind
from tenants.services.api_keys import api_key_create, api_key_revoke
from tenants.services.invitations import invitation_accept, invitation_create, invitation_revoke
from tenants.services.members import member_change_role, member_remove
from tenants.services.organisations import (
    tenant_register,
    tenant_register_by_operator,
    tenant_set_verified,
    tenant_update,
)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        membership = request._request.membership
        data = {
            "email": request.user.email,
            "full_name": request.user.full_name,
            "tenant": TenantSerializer(membership.tenant).data if membership else None,
            "role": membership.role if membership else None,
            "memberships": [
                {"tenant_id": m.tenant_id, "tenant": str(m.tenant), "kind": m.tenant.kind, "role": m.role}
                for m in getattr(request._request, "memberships", [])
            ],
        }
        return Response(data)


class OrganisationRegisterView(APIView):
    """Register a company or partner; the signed-in person becomes its owner and acts in it from
    now on. A person's session (the pages, or `X-Session-Token` from the accounts API) is needed:
    an API key acts for the organisation that made it and cannot register another."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=OrganisationRegisterSerializer, responses={201: RegisteredOrganisationSerializer})
    def post(self, request):
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(
                _("An API key acts for its own organisation. Sign in as a person to register a new one.")
            )
        serializer = OrganisationRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = tenant_register(acting_user=request.user, **serializer.validated_data)
        session = getattr(request._request, "token_session", None) or request.session
        session[SESSION_KEY] = tenant.pk
        session.save()
        data = {"organisation": TenantSerializer(tenant).data, "role": OWNER_ROLE[tenant.kind]}
        return Response(data, status=status.HTTP_201_CREATED)


class OrganisationView(TenantScopedApiMixin, APIView):
    permission = Perm.VIEW_MEMBERS
    write_permission = Perm.MANAGE_ORGANISATION

    @extend_schema(responses=TenantSerializer)
    def get(self, request):
        return Response(TenantSerializer(self.tenant).data)

    @extend_schema(request=TenantSerializer, responses=TenantSerializer)
    def patch(self, request):
        tenant = Tenant.objects.get(pk=self.tenant.pk)
        serializer = TenantSerializer(tenant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant = tenant_update(tenant=tenant, acting_membership=self.membership, **serializer.validated_data)
        return Response(TenantSerializer(tenant).data)


class MemberViewSet(
    TenantScopedApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    model = Membership
    serializer_class = MembershipSerializer
    permission = Perm.VIEW_MEMBERS
    write_permission = Perm.VIEW_MEMBERS  # the services decide who may change whom

    def get_queryset(self):
        return super().get_queryset().select_related("user").order_by("created_at", "pk")

    @extend_schema(request=RoleInputSerializer, responses=MembershipSerializer)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = RoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_change_role(
            membership=membership, role=data.validated_data["role"], acting_membership=self.membership
        )
        return Response(MembershipSerializer(membership).data)

    def perform_destroy(self, instance):
        member_remove(membership=instance, acting_membership=self.membership)


class InvitationViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Invitation
    serializer_class = InvitationSerializer
    permission = Perm.MANAGE_MEMBERS
    write_permission = Perm.MANAGE_MEMBERS

    def get_queryset(self):
        return super().get_queryset().select_related("invited_by").order_by("-created_at")

    def create(self, request):
        serializer = InvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _token = invitation_create(
            tenant=self.tenant, acting_membership=self.membership, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = invitation_revoke(invitation=self.get_object(), acting_membership=self.membership)
        return Response(InvitationSerializer(invitation).data)


class InvitationAcceptView(APIView):
    """Accept an invitation with the token from its email, as the signed-in invitee."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=InvitationAcceptSerializer, responses=MembershipSerializer)
    def post(self, request):
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = invitation_accept(token=serializer.validated_data["token"], user=request.user)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class ApiKeyViewSet(
    TenantScopedApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    model = ApiKey
    serializer_class = ApiKeySerializer
    permission = Perm.MANAGE_API_KEYS
    write_permission = Perm.MANAGE_API_KEYS

    def get_queryset(self):
        return super().get_queryset().select_related("created_by").order_by("-created_at")

    @extend_schema(request=ApiKeySerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request):
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, plaintext = api_key_create(acting_membership=self.membership, **serializer.validated_data)
        key.key = plaintext
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        api_key_revoke(api_key=instance, acting_membership=self.membership)


class OperatorTenantViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every organisation on the platform (operator staff only)."""

    serializer_class = TenantSerializer
    permission = Perm.OPERATE_PLATFORM
    write_permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)
    filterset_fields = ["kind", "is_verified", "province", "industry", "size_class"]

    def get_queryset(self):
        return Tenant.objects.annotate(member_count=Count("memberships")).order_by("-created_at", "-pk")

    @extend_schema(request=TenantCreateSerializer, responses={201: TenantSerializer})
    def create(self, request):
        serializer = TenantCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = tenant_register_by_operator(acting_membership=self.membership, **serializer.validated_data)
        return Response(TenantSerializer(tenant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VerifyInputSerializer, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        tenant = get_object_or_404(Tenant, pk=pk)
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = tenant_set_verified(
            tenant=tenant, verified=data.validated_data["verified"], acting_membership=self.membership
        )
        return Response(TenantSerializer(tenant).data)
