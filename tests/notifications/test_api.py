"""Notification preferences through the API: one's own, as on the notifications page."""

from django.urls import reverse

from notifications.models import EmailMode, NotificationPreference
from tests.conftest import member_client
from tests.factories import MembershipFactory


def test_a_person_reads_and_sets_their_own_email_mode(db, anon):
    me, other = MembershipFactory(), MembershipFactory()
    url = reverse("api:notification-preferences")
    client = member_client(me)
    assert client.get(url).json() == {"email_mode": EmailMode.IMMEDIATE}
    response = client.put(url, {"email_mode": "daily"}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"email_mode": "daily"}
    assert NotificationPreference.objects.get(user=me.user).email_mode == EmailMode.DAILY
    # Another person's preference is untouched and their own to read.
    assert member_client(other).get(url).json() == {"email_mode": EmailMode.IMMEDIATE}
    bad = client.put(url, {"email_mode": "hourly"}, content_type="application/json")
    assert bad.status_code == 400 and "email_mode" in bad.json()["error"]["fields"]
    assert anon.get(url).status_code == 401
    assert anon.put(url, {"email_mode": "off"}, content_type="application/json").status_code == 401
