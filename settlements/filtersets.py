"""One FilterSet drives the operator's settlement list page and the operator settlements API."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from settlements import periods
from settlements.choices import SettlementState
from settlements.models import Settlement


def validate_month(value: str) -> None:
    if periods.parse(value) is None:
        raise ValidationError(_("Give the month as YYYY-MM."), code="invalid")


class SettlementFilterSet(django_filters.FilterSet):
    month = django_filters.CharFilter(label=_("Month (YYYY-MM)"), method="filter_month", validators=[validate_month])
    state = django_filters.ChoiceFilter(label=_("State"), choices=SettlementState.choices)
    q = django_filters.CharFilter(label=_("Partner"), method="filter_partner")

    class Meta:
        model = Settlement
        fields = ["month", "state", "q"]

    def filter_month(self, queryset, name, value):
        return queryset.for_month(periods.parse(value))

    def filter_partner(self, queryset, name, value):
        return queryset.filter(Q(tenant__name_zh__icontains=value) | Q(tenant__name_en__icontains=value))
