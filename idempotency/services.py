"""Remembering the first answer to a request sent with an `Idempotency-Key`.

Requests with the same key are serialised (`exclusive`): on PostgreSQL by a session advisory lock,
so a hundred concurrent retries wait for the first one and then read its answer, and the action
runs once. The lock is a session lock, not a row lock, because the action's own services open
durable transactions of their own and cannot run inside ours."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from idempotency.models import KEEP_FOR, IdempotentRequest

LOCK_CLASS = 0x1DE4  # first half of the advisory lock id: "idempotency keys"
_local_lock = threading.Lock()  # SQLite (the demo) runs one process: a process lock does


class KeyReused(Exception):
    """The key was already used on this endpoint with a different request body."""


def _lock_id(tenant_id: int, endpoint: str, key: str) -> int:
    digest = hashlib.blake2b(f"{tenant_id}\n{endpoint}\n{key}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def exclusive(*, tenant_id: int, endpoint: str, key: str) -> Iterator[None]:
    """Hold the key's lock: whoever comes second waits until the first has answered. Two keys that
    share a lock id only wait for each other; they never share an answer."""
    if connection.vendor != "postgresql":
        with _local_lock:
            yield
        return
    lock = [LOCK_CLASS, _lock_id(tenant_id, endpoint, key)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lock)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock)


def idempotent_request_recall(*, tenant, endpoint: str, key: str, fingerprint: str) -> IdempotentRequest | None:
    """The answer kept for this key, or None. Call it holding `exclusive`. A key used with another
    body raises KeyReused; a key older than KEEP_FOR is forgotten and may be used again."""
    rows = IdempotentRequest.unscoped.filter(tenant=tenant, endpoint=endpoint, key=key)
    rows.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    kept = rows.first()
    if kept is not None and kept.fingerprint != fingerprint:
        raise KeyReused
    return kept


@transaction.atomic(durable=True)
def idempotent_request_remember(
    *, tenant, endpoint: str, key: str, fingerprint: str, status_code: int, body
) -> IdempotentRequest:
    return IdempotentRequest.unscoped.create(
        tenant=tenant, endpoint=endpoint, key=key, fingerprint=fingerprint, status_code=status_code, body=body
    )


def idempotent_requests_expire() -> int:
    """Forget keys older than KEEP_FOR; returns how many."""
    deleted, _ = IdempotentRequest.unscoped.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
