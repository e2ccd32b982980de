"""Per-tenant API keys: `afp_<prefix>_<secret>`; the secret is shown once and stored hashed."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from tenants.models import ApiKey, Membership
from tenants.roles import Perm, assignable_roles, has_perm

KEY_PREFIX = "afp"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic(durable=True)
def api_key_create(*, name: str, role: str, acting_membership: Membership) -> tuple[ApiKey, str]:
    """Create a key acting with `role` (at most the creator's). Returns the key and its plaintext."""
    tenant = acting_membership.tenant
    if not has_perm(acting_membership, Perm.MANAGE_API_KEYS):
        raise PermissionDenied(_("You do not have permission to manage API keys."))
    if role not in assignable_roles(tenant.kind, acting_membership.role):
        raise ValidationError({"role": _("A key cannot have a role above your own.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, so you can tell it apart later.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            key = ApiKey.objects.create(
                tenant=tenant,
                name=name,
                prefix=prefix,
                secret_hash=_hash(secret),
                role=role,
                created_by=acting_membership.user,
            )
    except IntegrityError as exc:
        raise ValidationError({"name": _("An active key with this name already exists.")}) from exc
    audit_record(
        action="api_key.create",
        tenant=tenant,
        actor=acting_membership.user,
        obj=key,
        after={"name": name, "role": role},
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic(durable=True)
def api_key_revoke(*, api_key: ApiKey, acting_membership: Membership) -> ApiKey:
    if not has_perm(acting_membership, Perm.MANAGE_API_KEYS):
        raise PermissionDenied(_("You do not have permission to manage API keys."))
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoke", tenant=key.tenant, actor=acting_membership.user, obj=key)
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key `raw` names, or None. Records last use (at most once a minute)."""
    try:
        kind, prefix, secret = raw.strip().split("_", 2)
    except ValueError:
        return None
    if kind != KEY_PREFIX:
        return None
    key = ApiKey.unscoped.select_related("tenant", "created_by").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.unscoped.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
