"""Changing roles and removing people. A tenant is never left without its owner role."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from notifications.services import notify
from tenants.models import ApiKey, Membership
from tenants.roles import OWNER_ROLE, ROLES_BY_KIND, Perm, Role, assignable_roles, has_perm


def _check_can_manage(acting: Membership, target_role: str, new_role: str | None = None) -> None:
    kind = acting.tenant.kind
    if not has_perm(acting, Perm.MANAGE_MEMBERS):
        raise PermissionDenied(_("You do not have permission to manage members."))
    allowed = assignable_roles(kind, acting.role)
    if target_role not in allowed or (new_role is not None and new_role not in allowed):
        raise PermissionDenied(_("You cannot change a member whose role is above yours."))


def _lock_owners(tenant) -> list[Membership]:
    """Lock every owner-role membership of the tenant, always in pk order."""
    return list(
        Membership.objects.select_for_update().filter(tenant=tenant, role=OWNER_ROLE[tenant.kind]).order_by("pk")
    )


def _refuse_if_last_owner(membership: Membership, owners: list[Membership]) -> None:
    if membership.role == OWNER_ROLE[membership.tenant.kind] and len(owners) <= 1:
        raise ValidationError(
            _("%(name)s is the last %(role)s of this organisation. Make someone else %(role)s first."),
            code="last_owner",
            params={"name": membership.user, "role": Role(membership.role).label},
        )


@transaction.atomic(durable=True)
def member_change_role(*, membership: Membership, role: str, acting_membership: Membership) -> Membership:
    tenant = acting_membership.tenant
    if role not in ROLES_BY_KIND[tenant.kind]:
        raise ValidationError(
            _("“%(role)s” is not a role in this kind of organisation."), code="bad_role", params={"role": role}
        )
    owners = _lock_owners(tenant)
    membership = Membership.objects.select_for_update().select_related("user", "tenant").get(pk=membership.pk)
    _check_can_manage(acting_membership, membership.role, role)
    if membership.role == role:
        return membership
    _refuse_if_last_owner(membership, owners)
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="member.role_change",
        tenant=tenant,
        actor=acting_membership.user,
        obj=membership,
        before=before,
        after={"role": role},
    )
    notify(
        recipients=[membership.user],
        tenant=tenant,
        title=format_lazy(_("Your role in {tenant} is now {role}"), tenant=tenant.name_zh, role=Role(role).label),
        url="/dashboard/",
    )
    return membership


@transaction.atomic(durable=True)
def member_remove(*, membership: Membership, acting_membership: Membership) -> None:
    tenant = acting_membership.tenant
    owners = _lock_owners(tenant)
    membership = Membership.objects.select_for_update().select_related("user", "tenant").get(pk=membership.pk)
    if membership.pk != acting_membership.pk:  # leaving yourself needs no management right
        _check_can_manage(acting_membership, membership.role)
    _refuse_if_last_owner(membership, owners)
    revoked = ApiKey.objects.filter(created_by=membership.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(
        action="member.remove",
        tenant=tenant,
        actor=acting_membership.user,
        obj=membership,
        before={"role": membership.role, "email": membership.user.email},
        after={"api_keys_revoked": revoked},
    )
    user = membership.user
    membership.delete()
    notify(
        recipients=[user],
        tenant=None,
        title=format_lazy(_("You were removed from {tenant}"), tenant=tenant.name_zh),
    )
