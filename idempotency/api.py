"""`@idempotent`: the `Idempotency-Key` header on API POSTs that create a job, a payment or a voucher
action. The same key with the same body gets the first answer again (same status and body, with
`Idempotent-Replayed: true`) and the action runs once, however many retries arrive at once; the
same key with another body is refused with 422 ("idempotency_key_reused"). Only successful (2xx)
answers are kept, so a refused request can be fixed and sent again with its key. Keys are kept for
a day (`models.KEEP_FOR`) per organisation and endpoint."""

from __future__ import annotations

import functools
import hashlib
import json
import re

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from idempotency import services

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = "^[!-~]{1,255}$"  # 1 to 255 visible ASCII characters: a UUID, a job name and a date …
_key_re = re.compile(KEY_PATTERN)

PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    description=(
        "Makes a retry safe. Send the same key with the same body again and you get the first answer "
        "(same status and body, header `Idempotent-Replayed: true`) and nothing is done twice; the same key "
        "with another body is refused (422, `idempotency_key_reused`). Keys are kept for 24 hours per "
        "organisation and endpoint; a refused request is not kept, so it can be fixed and retried with its key."
    ),
)


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used with a different request.")


def idempotency_key(request) -> str | None:
    """The request's key, None without the header; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _key_re.fullmatch(key):
        raise ValidationError({HEADER: [_("Use 1 to 255 visible ASCII characters (no spaces).")]})
    return key


def fingerprint(data) -> str:
    """sha256 of the parsed body: JSON and form fields in a canonical order, files by their bytes."""
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # a QueryDict: every value of every field
        return {str(k): [_canonical(v) for v in values] for k, values in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _endpoint(request) -> str:
    endpoint = f"{request.method} {request.path}"
    if len(endpoint) > 255:
        endpoint = f"{request.method} sha256:{hashlib.sha256(request.path.encode()).hexdigest()}"
    return endpoint


def idempotent(view_method):
    """Decorate a DRF view's POST handler (after authentication and permissions have run)."""

    @functools.wraps(view_method)
    def handler(view, request, *args, **kwargs):
        key = idempotency_key(request)
        tenant = getattr(request._request, "tenant", None)
        if key is None or tenant is None:
            return view_method(view, request, *args, **kwargs)
        scope = {"tenant": tenant, "endpoint": _endpoint(request), "key": key}
        body_hash = fingerprint(request.data)
        with services.exclusive(tenant_id=tenant.pk, endpoint=scope["endpoint"], key=key):
            try:
                kept = services.idempotent_request_recall(**scope, fingerprint=body_hash)
            except services.KeyReused:
                raise KeyReused from None
            if kept is not None:
                return Response(kept.body, status=kept.status_code, headers={REPLAYED_HEADER: "true"})
            response = view_method(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                services.idempotent_request_remember(
                    **scope, fingerprint=body_hash, status_code=response.status_code, body=response.data
                )
        return response

    handler.idempotent = True  # portal.schema documents the header and the 422 on such operations
    return handler
