"""Celery tasks for tenants: thin, take ids, safe to re-run."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from tenants.models import Invitation, InvitationStatus
from tenants.scoping import tenant_task
from tenants.services.invitations import invitations_expire


@shared_task
@tenant_task
def send_invitation_email(invitation_id: int, token: str, *, tenant) -> None:
    invitation = Invitation.objects.select_related("invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        return
    language = invitation.invited_by.language or "en"
    with translation.override(language):
        context = {
            "invitation": invitation,
            "tenant": tenant,
            "accept_url": f"{settings.PORTAL_BASE_URL}/invitations/{token}/",
        }
        subject = render_to_string("tenants/email/invitation_subject.txt", context).strip()
        body = render_to_string("tenants/email/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@shared_task
def expire_invitations() -> int:
    return invitations_expire()
