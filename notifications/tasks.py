"""Email delivery for notifications. Tasks take ids and are safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import EmailMode, Notification, NotificationPreference


@shared_task
def send_notification_email(notification_id: int) -> None:
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return  # already sent, or deleted
        user = note.recipient
        with translation.override(user.language or "en"):
            text = render_to_string(
                "notifications/email_single.txt", {"note": note, "user": user, "base_url": settings.PORTAL_BASE_URL}
            )
            send_mail(note.title, text, settings.DEFAULT_FROM_EMAIL, [user.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])


@shared_task
def send_daily_digests() -> int:
    """One email per digest subscriber with everything not yet emailed. Returns emails sent."""
    sent = 0
    user_ids = NotificationPreference.objects.filter(email_mode=EmailMode.DAILY).values_list("user_id", flat=True)
    for user_id in user_ids:
        with transaction.atomic():
            notes = list(
                Notification.objects.select_for_update()
                .select_related("recipient")
                .filter(recipient_id=user_id, emailed_at__isnull=True)
                .order_by("created_at")
            )
            if not notes:
                continue
            user = notes[0].recipient
            with translation.override(user.language or "en"):
                from django.utils.translation import gettext as _

                text = render_to_string("notifications/email_digest.txt", {"notes": notes, "user": user})
                send_mail(_("Your daily summary"), text, settings.DEFAULT_FROM_EMAIL, [user.email])
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=timezone.now())
            sent += 1
    return sent
