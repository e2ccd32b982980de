"""Production's HTTPS, HSTS, cookie and header settings, asserted on real responses.

`portal.settings.production` is imported in a subprocess (it reads secrets from the environment);
its security settings are then applied to this process, so the test client sees what a browser sees
behind the TLS-terminating proxy.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.routes import all_routes

ROOT = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "CONTENT_SECURITY_POLICY",
]
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self' https://checkout.stripe.com",
}
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}  # what the proxy in front of the site adds


def policy(header: str | None) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: sources} (django-csp does not keep an order)."""
    return dict(part.strip().split(" ", 1) for part in (header or "").split(";") if part.strip())


@pytest.fixture(scope="module")
def production():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "production-like-secret-key-for-this-test-only-0123456789abcdef",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "STRIPE_SECRET_KEY": "sk_live_example",
        "STRIPE_WEBHOOK_SECRET": "whsec_example",
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "CSP_FORM_ACTION"):
        env.pop(name, None)
    code = (
        "import importlib, json, sys\n"
        "s = importlib.import_module('portal.settings.production')\n"
        f"json.dump({{n: getattr(s, n) for n in {SECURITY_SETTINGS!r}}}, sys.stdout)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production_client(production):
    with override_settings(**production):
        yield Client()


def test_production_settings_are_strict(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and production["SECURE_HSTS_PRELOAD"] is True
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert production[f"{cookie}_COOKIE_SECURE"] is True
        assert production[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert production[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(production_client):
    response = production_client.get("/catalog/?q=x")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/catalog/?q=x"


@pytest.mark.django_db
def test_https_pages_carry_hsts_csp_and_the_other_security_headers(production_client):
    response = production_client.get(reverse("landing"), **HTTPS)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert policy(response["Content-Security-Policy"]) == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_cookies_are_secure_httponly_and_samesite_lax(production_client):
    user = UserFactory()
    login = reverse("account_login")

    page = production_client.get(login, **HTTPS)
    signed_in = production_client.post(login, {"login": user.email, "password": PASSWORD}, **HTTPS)
    language = production_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}, **HTTPS)

    assert signed_in.status_code == 302 and "_auth_user_id" in production_client.session
    cookies = {
        settings.CSRF_COOKIE_NAME: page.cookies[settings.CSRF_COOKIE_NAME],
        settings.SESSION_COOKIE_NAME: signed_in.cookies[settings.SESSION_COOKIE_NAME],
        settings.LANGUAGE_COOKIE_NAME: language.cookies[settings.LANGUAGE_COOKIE_NAME],
    }
    for name, morsel in cookies.items():
        assert (name, morsel["secure"], morsel["httponly"], morsel["samesite"]) == (name, True, True, "Lax")


def test_the_csp_middleware_runs_on_every_response():
    assert settings.MIDDLEWARE[:2] == ["django.middleware.security.SecurityMiddleware", "csp.middleware.CSPMiddleware"]
    assert settings.CONTENT_SECURITY_POLICY.keys() == {"DIRECTIVES"}  # no exclusions, no report-only


@pytest.mark.django_db
def test_every_page_without_parameters_has_the_csp_header(owner_client, anon):
    """Every GET route without URL parameters, anonymous and as a company owner: whatever the
    response (page, redirect, 403, 404), HTML comes with the site's policy. The API docs relax it
    on purpose (the next test)."""
    names = [r.name for r in all_routes() if not r.converters and not r.name.startswith("<unnamed")]
    paths = [reverse(name) for name in names if name not in ("api:docs", "api:docs-accounts")]
    assert len(paths) > 40
    checked = 0
    for client in (anon, owner_client):
        for path in paths:
            response = client.get(path)
            if response.get("Content-Type", "").startswith("text/html"):
                checked += 1
                assert policy(response.get("Content-Security-Policy")) == CSP, path
    assert checked > 40


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["api:docs", "api:docs-accounts"])
def test_api_docs_relax_inline_styles_only(anon, name):
    response = anon.get(reverse(name))
    assert response.status_code == 200
    assert policy(response["Content-Security-Policy"]) == {**CSP, "style-src": "'self' 'unsafe-inline'"}
    assert "<script>" not in response.content.decode()  # Swagger UI's start-up script is a file
