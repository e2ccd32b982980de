from rest_framework import serializers, viewsets

from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "ip",
        ]


class AuditEntryViewSet(TenantScopedApiMixin, viewsets.ReadOnlyModelViewSet):
    model = AuditEntry
    serializer_class = AuditEntrySerializer
    permission = Perm.VIEW_AUDIT
    filterset_class = AuditEntryFilterSet
