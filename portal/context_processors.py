from django.conf import settings

from portal.navigation import nav_for


def shell(request):
    membership = getattr(request, "membership", None)
    return {
        "site_name": settings.SITE_NAME,
        "nav_items": nav_for(membership),
        "active_membership": membership,
        "active_tenant": getattr(request, "tenant", None),
        "user_memberships": getattr(request, "memberships", []),
    }
