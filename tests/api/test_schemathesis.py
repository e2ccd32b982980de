"""Schemathesis over the whole OpenAPI schema, in process (WSGI), as a member of a company (tenant A)
and of a government office (tenant B) by API key, in the world of tests/isolation_world.py (jobs,
vouchers, payments, listings, settlements …). Every response must not be a server error and must
conform to the schema: a documented status code, content type, headers and body.

Path ids are mostly swapped for ids the caller's own lists return, so detail pages and actions run
on real objects and not only into 404s. Each request runs in a savepoint that is rolled back, so
every example starts from the same world. Examples are few and derandomised: the run is the same
every time and takes a couple of minutes."""

import hashlib
import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payments.stripe_standin import StandinServer, StandinState
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.isolation_world import _WorldTransaction, kept

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MEMBERS = {"tenant-a-company-owner": "a_owner", "tenant-b-government-manager": "ga_manager"}


def _load_schema():
    """The schema as /api/v1/schema/ serves it, made at collection time (no request, no database)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = WSGIHandler()  # requests go to Django in this process, on the test's connection
    loaded.config.generation.update(max_examples=EXAMPLES, deterministic=True, no_shrink=True)
    loaded.config.phases.update(phases=PHASES)
    return loaded


EXAMPLES = 4
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")
schema = _load_schema()


@pytest.fixture(scope="module")
def stripe_standin():
    server = StandinServer("127.0.0.1", 0, StandinState(webhook_url="http://127.0.0.1:9/", secret="whsec_x")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def callers(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module, and an API key for each member with the ids its own
    lists show (by list path)."""
    with kept(tmp_path_factory.mktemp("schemathesis"), django_db_blocker.unblock) as world:
        with django_db_blocker.unblock():
            yield {name: _caller(getattr(world, attribute)) for name, attribute in MEMBERS.items()}


def _caller(membership) -> dict:
    with tenant_context(membership.tenant):
        _key, plaintext = api_key_create(name="fuzz", role=membership.role, acting_membership=membership)
    headers = {"Authorization": f"Api-Key {plaintext}"}
    return {"headers": headers, "ids": _own_ids(headers)}


def _own_ids(headers: dict) -> dict[str, list]:
    client = Client(headers=headers)
    ids: dict[str, list] = {}
    for path, operations in schema.raw_schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        response = client.get(path)
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results", []) if isinstance(body, dict) else body
        found = [row.get("id", row.get("slug")) for row in rows if isinstance(row, dict)]
        ids[path] = [value for value in found if value is not None]
    return ids


@pytest.fixture(params=list(MEMBERS))
def caller(request, db, callers, settings, stripe_standin):
    settings.STRIPE_SECRET_KEY = "sk_test_standin"
    settings.STRIPE_API_BASE = stripe_standin.url
    settings.STRIPE_PAYMENT_METHODS = ["card"]
    # No rate limit here: the fuzzer sends far more than a client may.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    # Django's handler closes the connection after each request; the test's transaction must live on
    # (the test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield callers[request.param]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_whole_api_answers_without_server_errors_and_as_documented(case, caller):
    _use_own_ids(case, caller["ids"])
    atomics = _WorldTransaction._enter_atomics()  # a savepoint the durable services may run inside
    try:
        case.call_and_validate(headers=caller["headers"], checks=CHECKS)
    finally:
        _WorldTransaction._rollback_atomics(atomics)


def _use_own_ids(case, ids: dict[str, list]) -> None:
    """Three times in four, swap the generated `id`/`slug` for one of the caller's own."""
    for name in ("id", "slug"):
        value = (case.path_parameters or {}).get(name)
        if value is None:
            continue
        own = ids.get(case.operation.path.split("{" + name + "}")[0], [])
        pick = int(hashlib.sha256(repr(value).encode()).hexdigest(), 16)
        if own and pick % 4:
            case.path_parameters[name] = own[pick % len(own)]
