"""The first answer to an API POST sent with an `Idempotency-Key`, kept for a day so that a retry of
the same request gets the same answer instead of doing the work twice."""

from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from tenants.scoping import TenantOwned

KEEP_FOR = timedelta(hours=24)


class IdempotentRequest(TenantOwned):
    """One key of one tenant on one endpoint: what was asked (a fingerprint) and what was answered."""

    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=255)  # "POST /api/v1/jobs/"
    fingerprint = models.CharField(max_length=64)  # sha256 of the parsed body, uploaded files' bytes included
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(encoder=DjangoJSONEncoder, null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "endpoint", "key"], name="idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key} → {self.status_code}"
