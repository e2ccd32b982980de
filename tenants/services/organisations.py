"""Creating, editing and verifying tenants (organisations)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from tenants.models import Membership, Tenant
from tenants.roles import OWNER_ROLE, Perm, TenantKind, has_perm
from tenants.scoping import tenant_context
from tenants.validators import normalize_uscc

SELF_SERVICE_KINDS = (TenantKind.COMPANY, TenantKind.PARTNER)
PROFILE_FIELDS = ("name_zh", "name_en", "credit_code", "province", "city", "industry", "size_class", "founded_on")


def _snapshot(tenant: Tenant) -> dict:
    data = {f: getattr(tenant, f) for f in (*PROFILE_FIELDS, "kind", "is_verified")}
    data["founded_on"] = data["founded_on"].isoformat() if data["founded_on"] else None
    return data


def _save_tenant(tenant: Tenant) -> None:
    tenant.credit_code = normalize_uscc(tenant.credit_code)
    tenant.full_clean()
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError as exc:  # a concurrent registration of the same code
        raise ValidationError(
            {"credit_code": _("An organisation with this unified social credit code is already registered.")}
        ) from exc


def _create(*, acting_user, owner, profile: dict) -> Tenant:
    tenant = Tenant(**profile)
    _save_tenant(tenant)
    with tenant_context(tenant):
        audit_record(action="tenant.create", tenant=tenant, actor=acting_user, obj=tenant, after=_snapshot(tenant))
        if owner is not None:
            membership = Membership.objects.create(tenant=tenant, user=owner, role=OWNER_ROLE[tenant.kind])
            audit_record(
                action="member.add", tenant=tenant, actor=acting_user, obj=membership, after={"role": membership.role}
            )
    return tenant


@transaction.atomic(durable=True)
def tenant_register(*, acting_user, kind: str, **profile) -> Tenant:
    """A company or partner registers itself; the person registering becomes its owner."""
    if kind not in SELF_SERVICE_KINDS:
        raise PermissionDenied(_("Only the platform operator can register government or operator tenants."))
    return _create(acting_user=acting_user, owner=acting_user, profile={"kind": kind, **profile})


@transaction.atomic(durable=True)
def tenant_register_by_operator(
    *, acting_membership: Membership, kind: str, first_member_email: str = "", **profile
) -> Tenant:
    """Operator staff register any kind of tenant (government bodies, another operator team).
    It starts with no members; `first_member_email` is invited as its owner in the same transaction."""
    from tenants.services.invitations import invite

    if not has_perm(acting_membership, Perm.OPERATE_PLATFORM):
        raise PermissionDenied(_("Only operator staff can register organisations for others."))
    tenant = _create(acting_user=acting_membership.user, owner=None, profile={"kind": kind, **profile})
    if first_member_email:
        invite(tenant=tenant, email=first_member_email, role=OWNER_ROLE[kind], acting_membership=acting_membership)
    return tenant


@transaction.atomic(durable=True)
def tenant_update(*, tenant: Tenant, acting_membership: Membership, **fields) -> Tenant:
    if not has_perm(acting_membership, Perm.MANAGE_ORGANISATION) or acting_membership.tenant_id != tenant.pk:
        raise PermissionDenied(_("You cannot change this organisation's details."))
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = _snapshot(tenant)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    changed_identity = any(f in fields and fields[f] != getattr(tenant, f) for f in ("credit_code", "name_zh"))
    for name, value in fields.items():
        setattr(tenant, name, value)
    if changed_identity:
        tenant.is_verified = False  # a new legal identity must be verified again
    _save_tenant(tenant)
    audit_record(
        action="tenant.update",
        tenant=tenant,
        actor=acting_membership.user,
        obj=tenant,
        before=before,
        after=_snapshot(tenant),
    )
    return tenant


@transaction.atomic(durable=True)
def tenant_set_verified(*, tenant: Tenant, verified: bool, acting_membership: Membership) -> Tenant:
    """Operator staff confirm (or withdraw) that an organisation's registration details are real."""
    if not has_perm(acting_membership, Perm.OPERATE_PLATFORM):
        raise PermissionDenied(_("Only operator staff can verify organisations."))
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.is_verified == verified:
        return tenant
    tenant.is_verified = verified
    tenant.save(update_fields=["is_verified"])
    audit_record(
        action="tenant.verify" if verified else "tenant.unverify",
        tenant=tenant,
        actor=acting_membership.user,
        obj=tenant,
        before={"is_verified": not verified},
        after={"is_verified": verified},
    )
    from notifications.services import notify
    from tenants.selectors import tenant_admins

    notify(
        recipients=tenant_admins(tenant),
        tenant=tenant,
        title=_("Your organisation has been verified")
        if verified
        else _("Your organisation's verification was withdrawn"),
        url="/organisation/",
    )
    return tenant
