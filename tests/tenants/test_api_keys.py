import hashlib

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tenants.models import ApiKey
from tenants.roles import Role
from tenants.scoping import tenant_context
from tests.conftest import member_client


def test_key_is_shown_once_and_stored_hashed(owner, owner_client):
    response = owner_client.post(reverse("tenants:api-keys"), {"name": "shop backend", "role": Role.DEVELOPER})
    assert response.status_code == 200
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("afp_") and plaintext in response.content.decode()
    with tenant_context(owner.tenant):
        key = ApiKey.objects.get()
    secret = plaintext.split("_", 2)[2]
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiKey.unscoped.filter(pk=key.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert plaintext not in owner_client.get(reverse("tenants:api-keys")).content.decode()


def test_key_authenticates_api_calls_and_records_last_use(owner, owner_client):
    plaintext = owner_client.post(reverse("tenants:api-keys"), {"name": "ci", "role": Role.VIEWER}).context["plaintext"]
    owner_client.logout()
    response = owner_client.get(reverse("api:me"), headers={"Authorization": f"Api-Key {plaintext}"})
    assert response.status_code == 200
    assert response.json()["role"] == Role.VIEWER
    with tenant_context(owner.tenant):
        assert ApiKey.objects.get().last_used_at is not None


def test_key_role_limits_what_it_can_do(owner, owner_client):
    plaintext = owner_client.post(reverse("tenants:api-keys"), {"name": "ro", "role": Role.VIEWER}).context["plaintext"]
    owner_client.logout()
    response = owner_client.get(reverse("api:api-key-list"), headers={"Authorization": f"Api-Key {plaintext}"})
    assert response.status_code == 403


def test_revoked_and_wrong_keys_get_401(owner, owner_client):
    plaintext = owner_client.post(reverse("tenants:api-keys"), {"name": "ci", "role": Role.DEVELOPER}).context[
        "plaintext"
    ]
    with tenant_context(owner.tenant):
        key = ApiKey.objects.get()
    owner_client.post(reverse("tenants:api-key-revoke", args=[key.pk]))
    owner_client.logout()
    for header in (f"Api-Key {plaintext}", f"Api-Key {plaintext}x", "Api-Key afp_nope_nope", "Api-Key garbage"):
        response = owner_client.get(reverse("api:me"), headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "authentication_failed"
    with tenant_context(owner.tenant):
        assert AuditEntry.objects.filter(action="api_key.revoke").count() == 1


def test_duplicate_active_name_is_a_clear_error(owner, owner_client):
    owner_client.post(reverse("tenants:api-keys"), {"name": "ci", "role": Role.DEVELOPER})
    response = owner_client.post(reverse("tenants:api-keys"), {"name": "CI", "role": Role.DEVELOPER})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    with tenant_context(owner.tenant):
        assert ApiKey.objects.count() == 1


def test_developer_cannot_mint_an_admin_key(owner, make_member):
    dev = make_member(owner.tenant, Role.DEVELOPER)
    response = member_client(dev).post(
        reverse("api:api-key-list"), {"name": "x", "role": Role.ADMIN}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["role"]
    with tenant_context(owner.tenant):
        assert not ApiKey.objects.exists()


def test_api_create_returns_the_key_once(owner, owner_client):
    response = owner_client.post(
        reverse("api:api-key-list"), {"name": "x", "role": Role.DEVELOPER}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["key"].startswith("afp_")
    detail = owner_client.get(reverse("api:api-key-detail", args=[response.json()["id"]])).json()
    assert "key" not in detail
    assert owner_client.delete(reverse("api:api-key-detail", args=[detail["id"]])).status_code == 204
    with tenant_context(owner.tenant):
        assert ApiKey.objects.get().revoked_at <= timezone.now()
