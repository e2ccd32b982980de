from tenants.roles import Perm


class ObjectFirstMixin:
    """Resolve the URL's object before the method check: another tenant's (or person's) object is
    a 404 for every method, exactly like a missing one."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.kwargs.get(getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", "pk")) is not None:
            self.get_object()

    def get_object(self):
        if not hasattr(self, "_object"):
            self._object = super().get_object()
        return self._object


class TenantScopedApiMixin(ObjectFirstMixin):
    """API views of tenant-owned data: the queryset comes from the model's scoped manager and the
    default permission class (`IsTenantMember`) checks `permission` for safe methods and
    `write_permission` for the rest."""

    model = None
    permission: Perm | None = Perm.VIEW_DASHBOARD
    write_permission: Perm | None = None
    tenant_kinds: tuple[str, ...] | None = None

    def required_permission(self, request) -> Perm | None:
        if request.method in ("GET", "HEAD", "OPTIONS") or self.write_permission is None:
            return self.permission
        return self.write_permission

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.unscoped.none()  # schema generation has no tenant
        return self.model.objects.all()

    @property
    def membership(self):
        return self.request._request.membership

    @property
    def tenant(self):
        return self.request._request.tenant
