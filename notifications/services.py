"""The one way to tell people something: an in-app notification plus email as they prefer."""

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone, translation

from notifications.models import EmailMode, Notification, NotificationPreference


def email_mode_for(user) -> str:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.email_mode if pref else EmailMode.IMMEDIATE


def notify(
    *,
    recipients: Iterable,
    tenant=None,
    title: Callable[[], str] | str,
    body: Callable[[], str] | str = "",
    url: str = "",
) -> list[Notification]:
    """Create a notification for each recipient, worded in the recipient's language.

    Pass `title`/`body` as lazy strings (gettext_lazy / format_lazy) so each is rendered in the
    recipient's language. Immediate emails are sent after the surrounding transaction commits.
    """
    created = []
    for user in recipients:
        with translation.override(user.language or "en"):
            note = Notification.objects.create(
                recipient=user, tenant=tenant, title=_text(title)[:200], body=_text(body), url=url
            )
        created.append(note)
        if email_mode_for(user) == EmailMode.IMMEDIATE:
            from notifications.tasks import send_notification_email

            transaction.on_commit(lambda pk=note.pk: send_notification_email.delay(pk))
    return created


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, all) of the user's notifications read. Returns how many changed."""
    qs = Notification.objects.for_user(user).unread()
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def preference_set(*, user, email_mode: str) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.update_or_create(user=user, defaults={"email_mode": email_mode})
    return pref


def _text(value) -> str:
    """A title or body in the active language: lazy strings render on str(), callables are called."""
    return str(value() if callable(value) else value)
