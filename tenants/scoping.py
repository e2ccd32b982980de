"""Tenant isolation by construction.

Every tenant-owned model inherits `TenantOwned`. Its default manager `objects` filters every query
to the *active tenant* and raises `TenantScopeError` when there is none, so forgetting to scope
fails closed instead of leaking. The active tenant is set in exactly three places:

* `tenants.middleware.ActiveTenantMiddleware` for page requests (and session API calls),
* `tenants.api.authentication.ApiKeyAuthentication` for API-key calls,
* `tenant_task` for Celery tasks, which take the tenant id explicitly.

System code that must see across tenants (operators' platform pages, the tenant switcher,
periodic sweeps) says so by using `Model.unscoped`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from tenants.models import Tenant

_active_tenant: ContextVar[Tenant | None] = ContextVar("active_tenant", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried with no active tenant."""


def get_active_tenant() -> Tenant | None:
    return _active_tenant.get()


def set_active_tenant(tenant: Tenant | None) -> None:
    """Set the tenant for the rest of the current request (reset by the middleware)."""
    _active_tenant.set(tenant)


@contextmanager
def tenant_context(tenant: Tenant | None) -> Iterator[None]:
    token = _active_tenant.set(tenant)
    try:
        yield
    finally:
        _active_tenant.reset(token)


class TenantOwnedQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant) -> TenantOwnedQuerySet:
        return self.filter(tenant=tenant)


class TenantScopedManager(models.Manager.from_queryset(TenantOwnedQuerySet)):  # type: ignore[misc]
    """Default manager: only the active tenant's rows; no active tenant → TenantScopeError."""

    def get_queryset(self) -> TenantOwnedQuerySet:
        tenant = _active_tenant.get()
        if tenant is None:
            raise TenantScopeError(
                f"{self.model.__name__} queried with no active tenant; "
                "use tenant_context() or Model.unscoped for system code"
            )
        return super().get_queryset().for_tenant(tenant)

    def none(self) -> TenantOwnedQuerySet:
        # An empty queryset cannot leak; schema generation and form set-up ask for one.
        return TenantOwnedQuerySet(self.model, using=self._db).none()


class SharedScopedManager(TenantScopedManager):
    """For rows two tenants share, e.g. a voucher application: the applicant company owns it (`tenant`)
    and the government body running the program reviews it. `also` is the lookup path of the second
    tenant ("program__tenant"); either party sees the row, nobody else does."""

    def __init__(self, also: str) -> None:
        super().__init__()
        self.also = also

    def deconstruct(self):  # pragma: no cover - managers are not used in migrations
        return (False, f"{__name__}.{type(self).__name__}", None, (self.also,), {})

    def get_queryset(self) -> TenantOwnedQuerySet:
        tenant = _active_tenant.get()
        if tenant is None:
            raise TenantScopeError(
                f"{self.model.__name__} queried with no active tenant; "
                "use tenant_context() or Model.unscoped for system code"
            )
        return TenantOwnedQuerySet(self.model, using=self._db).filter(
            models.Q(tenant=tenant) | models.Q(**{self.also: tenant})
        )


class UnscopedManager(models.Manager.from_queryset(TenantOwnedQuerySet)):  # type: ignore[misc]
    """Explicit escape hatch for system code that works across tenants."""


class TenantOwned(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        abstract = True


def tenant_task(func):
    """Wrap a Celery task body so it runs inside its tenant. The task must be called with a
    `tenant_id` keyword; without one it refuses to run (fails closed)."""

    @functools.wraps(func)
    def wrapper(*args: Any, tenant_id: int | None = None, **kwargs: Any) -> Any:
        from tenants.models import Tenant

        if tenant_id is None:
            raise TenantScopeError(f"task {func.__name__} called without tenant_id")
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None:
            return None  # the tenant is gone: nothing to do
        with tenant_context(tenant):
            return func(*args, tenant=tenant, **kwargs)

    return wrapper
