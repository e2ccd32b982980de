"""The one check shared by page views and API views: who may reach a tenant route."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tenants.roles import Perm, has_perm


class NoActiveTenant(Exception):
    """A signed-in person without any organisation reached a tenant page."""


def enforce(request, permission: Perm | None, kinds: tuple[str, ...] | None = None) -> None:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise NoActiveTenant
    if kinds is not None and membership.tenant.kind not in kinds:
        raise PermissionDenied(_("This page is not available to your kind of organisation."))
    if permission is not None and not has_perm(membership, permission):
        raise PermissionDenied(_("Your role does not allow this."))
