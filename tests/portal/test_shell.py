import re

from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from portal.views import error_500
from tests.factories import UserFactory


def test_password_reset_by_email(db, client):
    user = UserFactory(email="forgot@example.com")
    client.post(reverse("account_reset_password"), {"email": "forgot@example.com"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"password1": "brand-new-pass-77", "password2": "brand-new-pass-77"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-77")


def test_friendly_404_in_the_visitors_language(db, client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "页面" in client.get("/no/such/page/").content.decode()


def test_friendly_500(db):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    from django.utils import translation

    with translation.override("en"):
        response = error_500(request)
    assert response.status_code == 500
    assert "Nothing you entered was lost" in response.content.decode()


def test_403_page_explains(owner, make_member):
    from tenants.roles import Role
    from tests.conftest import member_client

    viewer = make_member(owner.tenant, Role.VIEWER)
    response = member_client(viewer).get(reverse("audit:list"))
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()
