import django_filters
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    action = django_filters.CharFilter(label=_("Action"), lookup_expr="icontains")
    actor = django_filters.CharFilter(field_name="actor_label", label=_("Actor"), lookup_expr="icontains")
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = AuditEntry
        fields = ["action", "actor", "since", "until"]
