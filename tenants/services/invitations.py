"""Inviting people by email. Tokens are random, one-time, expire, and only their hash is stored."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from notifications.services import notify
from tenants.models import Invitation, InvitationStatus, Membership, Tenant
from tenants.roles import ROLES_BY_KIND, Perm, assignable_roles, has_perm
from tenants.scoping import tenant_context


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_can_invite(acting: Membership, tenant: Tenant, role: str) -> None:
    if role not in ROLES_BY_KIND[tenant.kind]:
        raise ValidationError({"role": _("This role does not exist in this kind of organisation.")})
    if acting.tenant_id == tenant.pk:
        if not has_perm(acting, Perm.MANAGE_MEMBERS):
            raise PermissionDenied(_("You do not have permission to invite members."))
        if role not in assignable_roles(tenant.kind, acting.role):
            raise PermissionDenied(_("You cannot invite someone to a role above your own."))
    elif not has_perm(acting, Perm.OPERATE_PLATFORM):  # operators invite a new tenant's first people
        raise PermissionDenied(_("You do not have permission to invite members."))


@transaction.atomic(durable=True)
def invitation_create(
    *, tenant: Tenant, email: str, role: str, acting_membership: Membership
) -> tuple[Invitation, str]:
    """Invite `email` to `tenant`. Returns the invitation and the one-time token (emailed, never stored)."""
    return invite(tenant=tenant, email=email, role=role, acting_membership=acting_membership)


def invite(*, tenant: Tenant, email: str, role: str, acting_membership: Membership) -> tuple[Invitation, str]:
    """`invitation_create` for use inside another service's transaction."""
    email = email.strip().lower()
    _check_can_invite(acting_membership, tenant, role)
    with tenant_context(tenant):
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise ValidationError(
                {"email": _("%(email)s is already a member of this organisation.") % {"email": email}}
            )
        if Invitation.objects.filter(
            email__iexact=email, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
        ).exists():
            raise ValidationError(
                {"email": _("%(email)s has already been invited and has not answered yet.") % {"email": email}}
            )
        # An older invitation that ran out still counts as pending until the sweep marks it.
        Invitation.objects.filter(email__iexact=email, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.EXPIRED, decided_at=timezone.now()
        )
        token = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    tenant=tenant,
                    email=email,
                    role=role,
                    token_hash=hash_token(token),
                    invited_by=acting_membership.user,
                    expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
                )
        except IntegrityError as exc:  # the same person invited twice at the same moment
            raise ValidationError(
                {"email": _("%(email)s has already been invited and has not answered yet.") % {"email": email}}
            ) from exc
        audit_record(
            action="invitation.create",
            tenant=tenant,
            actor=acting_membership.user,
            obj=invitation,
            after={"email": email, "role": role},
        )
    from tenants.tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token, tenant_id=tenant.pk))
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token names, whatever its state (system lookup: the token is the secret)."""
    return Invitation.unscoped.select_related("tenant", "invited_by").filter(token_hash=hash_token(token)).first()


@transaction.atomic(durable=True)
def invitation_accept(*, token: str, user) -> Membership:
    invitation = (
        Invitation.unscoped.select_for_update().select_related("tenant").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid. Ask for a new invitation."), code="invalid")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.status == InvitationStatus.REVOKED:
        raise ValidationError(_("This invitation was withdrawn. Ask for a new invitation."), code="revoked")
    if invitation.status == InvitationStatus.EXPIRED or invitation.is_expired:
        raise ValidationError(
            _("This invitation expired on %(date)s. Ask %(inviter)s for a new one."),
            code="expired",
            params={
                "date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
                "inviter": invitation.invited_by.email,
            },
        )
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it."),
            code="wrong_user",
            params={"email": invitation.email},
        )
    tenant = invitation.tenant
    with tenant_context(tenant):
        if Membership.objects.filter(user=user).exists():
            raise ValidationError(_("You are already a member of this organisation."), code="duplicate")
        membership = Membership.objects.create(tenant=tenant, user=user, role=invitation.role)
        invitation.status = InvitationStatus.ACCEPTED
        invitation.accepted_by = user
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["status", "accepted_by", "decided_at"])
        audit_record(
            action="invitation.accept", tenant=tenant, actor=user, obj=invitation, after={"role": invitation.role}
        )
        audit_record(action="member.add", tenant=tenant, actor=user, obj=membership, after={"role": membership.role})
    notify(
        recipients=[invitation.invited_by],
        tenant=tenant,
        title=format_lazy(_("{email} joined {tenant}"), email=user.email, tenant=tenant.name_zh),
        url="/members/",
    )
    return membership


@transaction.atomic(durable=True)
def invitation_revoke(*, invitation: Invitation, acting_membership: Membership) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_can_invite(acting_membership, invitation.tenant, invitation.role)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(_("Only a pending invitation can be withdrawn."), code="not_pending")
    invitation.status = InvitationStatus.REVOKED
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    audit_record(action="invitation.revoke", tenant=invitation.tenant, actor=acting_membership.user, obj=invitation)
    return invitation


def invitations_expire() -> int:
    """Mark pending invitations past their expiry as expired (periodic). Returns how many."""
    with transaction.atomic():
        expired = list(
            Invitation.unscoped.select_for_update(skip_locked=True).filter(
                status=InvitationStatus.PENDING, expires_at__lte=timezone.now()
            )
        )
        for inv in expired:
            inv.status = InvitationStatus.EXPIRED
            inv.decided_at = timezone.now()
            inv.save(update_fields=["status", "decided_at"])
            audit_record(action="invitation.expire", tenant=inv.tenant, actor=None, obj=inv)
    return len(expired)
