"""One FilterSet drives the jobs page's filters and the jobs API's query parameters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from catalog.choices import OfferingKind
from catalog.models import Offering
from compute.models import Pool
from jobs.models import Job, JobState


def _templates():
    # Templates belong to partners, so the scoped manager (the company's own rows) would be empty.
    return Offering.unscoped.filter(kind=OfferingKind.SOLUTION)


class JobFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=JobState.choices)
    template = django_filters.ModelChoiceFilter(
        label=_("Solution template"), field_name="offering", to_field_name="slug", queryset=_templates()
    )
    pool = django_filters.ModelChoiceFilter(label=_("Pool"), queryset=Pool.objects.all())
    created_from = django_filters.DateFilter(
        label=_("Launched on or after"), field_name="created_at__date", lookup_expr="gte"
    )
    created_to = django_filters.DateFilter(
        label=_("Launched on or before"), field_name="created_at__date", lookup_expr="lte"
    )

    class Meta:
        model = Job
        fields = ["state", "template", "pool", "created_from", "created_to"]
