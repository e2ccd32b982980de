"""What a dashboard shows. Later issues add their cards here."""

from tenants.models import Invitation, InvitationStatus, Membership
from tenants.roles import Perm, has_perm


def dashboard_context(membership) -> dict:
    tenant = membership.tenant
    context = {
        "member_count": Membership.objects.count(),
        "can_manage_members": has_perm(membership, Perm.MANAGE_MEMBERS),
        "tenant": tenant,
    }
    if context["can_manage_members"]:
        context["pending_invitations"] = Invitation.objects.filter(status=InvitationStatus.PENDING).count()
    return context
