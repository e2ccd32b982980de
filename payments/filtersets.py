"""API query filters. Declared explicitly: django-filter's automatic ones would query the
tenant-scoped default manager while the schema is generated, outside any tenant."""

import django_filters
from django.utils.translation import gettext_lazy as _

from payments.models import BankTransfer, BankTransferState, TopUp, TopUpState


class TopUpFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=TopUpState.choices)

    class Meta:
        model = TopUp
        fields = ["state"]


class BankTransferFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=BankTransferState.choices)

    class Meta:
        model = BankTransfer
        fields = ["state"]


class OperatorBankTransferFilter(BankTransferFilter):
    tenant = django_filters.NumberFilter(label=_("Organisation id"), field_name="tenant_id")

    class Meta(BankTransferFilter.Meta):
        fields = ["state", "tenant"]
