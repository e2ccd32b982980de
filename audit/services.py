"""Writing audit rows. Call inside the transaction that makes the change."""

from typing import Any

from django.db import models

from audit.context import request_ip
from audit.models import AuditEntry


def audit_record(
    *,
    action: str,
    tenant=None,
    actor=None,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.unscoped.create(
        tenant=tenant,
        actor=actor,
        actor_label=getattr(actor, "email", "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        before=before,
        after=after,
        ip=request_ip.get(),
    )
