"""CSRF on every form, htmx requests included."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.factories import MembershipFactory, TenantFactory

TEMPLATE_DIRS = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.IGNORECASE)
HX_HEADERS = re.compile(r"""<body[^>]*\bhx-headers='([^']*)'""")


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_every_post_form_in_our_templates_has_a_csrf_token():
    assert len(templates()) > 50
    missing = []
    for path in templates():
        for form in FORM.findall(path.read_text()):
            opening = form[: form.index(">") + 1]
            if POST.search(opening) and "{% csrf_token %}" not in form:
                missing.append(f"{path.relative_to(TEMPLATE_DIRS[0])}: {opening}")
    assert missing == []


def test_the_site_shell_sends_the_csrf_token_with_every_htmx_request():
    base = (TEMPLATE_DIRS[0] / "base.html").read_text()
    assert """<body hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base


@pytest.fixture
def csrf_client():
    """A person in two companies, signed in to the first, whose client is held to Django's CSRF
    check like a browser; the htmx POST tried is switching to the second company."""
    first = MembershipFactory(tenant=TenantFactory(), role="owner")
    second = MembershipFactory(tenant=TenantFactory(), role="owner", user=first.user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(first.user)
    session = client.session
    session["active_tenant_id"] = first.tenant_id
    session.save()
    return client, first, second


def htmx_token(client) -> str:
    """The token exactly as htmx sends it: from the page's <body hx-headers>."""
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    return html.unescape(HX_HEADERS.search(page.content.decode()).group(1)).split('"')[3]


@pytest.mark.django_db
def test_an_htmx_post_without_the_token_is_refused(csrf_client):
    client, first, second = csrf_client
    htmx_token(client)  # the CSRF cookie is set, as in a browser that has the page open

    response = client.post(reverse("tenants:switch"), {"tenant": second.tenant_id}, HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert client.session["active_tenant_id"] == first.tenant_id


@pytest.mark.django_db
def test_an_htmx_post_with_the_token_from_the_page_passes(csrf_client):
    client, _first, second = csrf_client
    token = htmx_token(client)

    response = client.post(
        reverse("tenants:switch"), {"tenant": second.tenant_id}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 200 and response["HX-Redirect"] == reverse("dashboard")
    assert client.session["active_tenant_id"] == second.tenant_id


def test_no_page_is_csrf_exempt_but_the_stripe_webhook():
    """DRF's views are exempt from Django's middleware because DRF checks CSRF itself for browser
    sessions (the next test); API keys need no CSRF protection (no cookie is involved). Neither does
    the accounts API for programs (allauth's app client): it never reads the session cookie, only
    the X-Session-Token header (the test after next)."""

    def views(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from views(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            else:
                yield f"{namespace}{p.name}", p.callback

    exempt = {
        name
        for name, view in views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False) and not name.startswith(("api:", "headless:app:"))
    }
    assert exempt == {"payments:stripe-webhook"}


@pytest.mark.django_db
def test_the_accounts_api_ignores_the_browser_session(csrf_client):
    client, _first, _second = csrf_client
    assert client.get(reverse("dashboard")).status_code == 200  # signed in by cookie
    response = client.post(
        "/_allauth/app/v1/account/password/change",
        {"current_password": "x", "new_password": "a-new-long-pass-77"},
        content_type="application/json",
    )
    assert response.status_code == 401  # the cookie is nobody there
    assert client.get("/_allauth/app/v1/account/email").status_code == 401


@pytest.mark.django_db
def test_an_api_write_with_the_browser_session_needs_the_token(csrf_client):
    client, _first, _second = csrf_client

    response = client.post(reverse("api:api-key-list"), {"name": "ci", "role": "developer"})

    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("CSRF Failed")
