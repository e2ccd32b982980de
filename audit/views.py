from django.views.generic import ListView

from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm


class AuditListView(TenantPageMixin, ListView):
    """The active tenant's audit log, filterable; htmx swaps just the table."""

    model = AuditEntry
    permission = Perm.VIEW_AUDIT
    template_name = "audit/list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = AuditEntryFilterSet(self.request.GET or None, queryset=super().get_queryset())
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else self.filterset.queryset

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["audit/list.html#table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"filterset": self.filterset}
