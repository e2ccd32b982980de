"""What a dashboard shows. Later issues add their cards here."""

from tenants.models import Invitation, InvitationStatus, Membership
from tenants.roles import Perm, TenantKind, has_perm


def dashboard_context(membership) -> dict:
    tenant = membership.tenant
    context = {
        "member_count": Membership.objects.count(),
        "can_manage_members": has_perm(membership, Perm.MANAGE_MEMBERS),
        "tenant": tenant,
    }
    if context["can_manage_members"]:
        context["pending_invitations"] = Invitation.objects.filter(status=InvitationStatus.PENDING).count()
    if tenant.kind == TenantKind.COMPANY:
        context |= _company_cards(membership)
    return context


def _company_cards(membership) -> dict:
    """Money, quotas and recent jobs: what a company checks first."""
    from billing.models import AccountKind
    from billing.services import ledger
    from compute.selectors import quota_rows
    from jobs.models import Job

    tenant = membership.tenant
    return {
        "wallet_fen": ledger.balance(tenant),
        "held_fen": ledger.balance(tenant, AccountKind.HOLDS),
        "quota_rows": quota_rows(tenant),
        "can_request": has_perm(membership, Perm.REQUEST_QUOTA),
        "can_launch": has_perm(membership, Perm.LAUNCH_JOBS),
        "recent_jobs": list(Job.objects.select_related("version").order_by("-created_at")[:5]),
    }
