from django.core import mail
from django.urls import reverse
from django.utils import translation

from notifications.models import EmailMode, Notification
from notifications.services import notify, preference_set
from notifications.tasks import send_daily_digests, send_notification_email
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.invitations import invitation_create
from tests.factories import MembershipFactory, UserFactory


def test_notify_is_worded_in_the_recipients_language(db, django_capture_on_commit_callbacks):
    zh = UserFactory(language="zh-hans")
    en = UserFactory(language="en")
    from django.utils.translation import gettext_lazy as _

    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[zh, en], title=_("Your organisation has been verified"))
    assert Notification.objects.get(recipient=en).title == "Your organisation has been verified"
    with translation.override("zh-hans"):
        expected = str(_("Your organisation has been verified"))
    assert Notification.objects.get(recipient=zh).title == expected
    assert len(callbacks) == 2  # one immediate email each, after commit


def test_immediate_email_is_sent_once(db):
    user = UserFactory()
    (note,) = notify(recipients=[user], title="Hello")
    send_notification_email(note.pk)
    send_notification_email(note.pk)  # a retry does nothing more
    assert [m.subject for m in mail.outbox] == ["Hello"]


def test_daily_digest_collects_unsent_notifications(db, django_capture_on_commit_callbacks):
    user = UserFactory()
    preference_set(user=user, email_mode=EmailMode.DAILY)
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[user], title="First")
        notify(recipients=[user], title="Second")
    assert callbacks == []  # nothing immediate for digest readers
    assert send_daily_digests() == 1
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert send_daily_digests() == 0


def test_bell_shows_unread_count_and_marking_read(owner, owner_client):
    notify(recipients=[owner.user], title="Ping", url="/members/")
    bell = owner_client.get(reverse("notifications:bell"), headers={"HX-Request": "true"}).content.decode()
    assert 'id="unread-count">1<' in bell and "Ping" in bell
    note = Notification.objects.get()
    assert owner_client.post(reverse("notifications:read", args=[note.pk]))["Location"] == "/members/"
    assert 'id="unread-count"' not in owner_client.get(reverse("notifications:bell")).content.decode()


def test_preferences_page_saves_choice(owner, owner_client):
    owner_client.post(reverse("notifications:preferences"), {"email_mode": EmailMode.OFF})
    assert owner.user.notification_preference.email_mode == EmailMode.OFF
    response = owner_client.post(reverse("notifications:preferences"), {"email_mode": "sometimes"}, follow=True)
    assert response.status_code == 200
    owner.user.notification_preference.refresh_from_db()
    assert owner.user.notification_preference.email_mode == EmailMode.OFF


def test_invitation_email_is_delivered_by_a_real_worker(celery_worker):
    owner = MembershipFactory(role=Role.OWNER)
    with tenant_context(owner.tenant):
        _, token = invitation_create(
            tenant=owner.tenant, email="newbie@example.com", role=Role.VIEWER, acting_membership=owner
        )
    (message,) = celery_worker.wait_for_mail(1)
    assert "newbie@example.com" in message and f"/invitations/{token}/" in message
