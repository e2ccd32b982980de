import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tenants.roles import Role, TenantKind
from tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_the_end(django_db_setup, django_db_blocker):
    """Threads of the suite (the browser tests' live server, the concurrency tests' clients) may
    end with a database connection still open; PostgreSQL then refuses to drop the test database.
    Before pytest-django drops it, end every other session on it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # rate limits and MFA replay protection live in the (Redis) cache
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request made by the test client leaves its
    language active in the thread, which would otherwise leak into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def member_client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["active_tenant_id"] = membership.tenant_id
    session.save()
    return client


@pytest.fixture
def company(db):
    return TenantFactory(kind=TenantKind.COMPANY)


@pytest.fixture
def owner(company):
    return MembershipFactory(tenant=company, role=Role.OWNER, user__email="owner@a.example")


@pytest.fixture
def owner_client(owner):
    return member_client(owner)


@pytest.fixture
def make_member():
    def make(tenant, role, **user_kwargs):
        return MembershipFactory(tenant=tenant, role=role, user=UserFactory(**user_kwargs))

    return make


@pytest.fixture
def anon():
    return Client()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    from tests.celery_worker import Worker

    worker = Worker(tmp_path / "mail").start()
    yield worker
    worker.stop()


@pytest.fixture
def job_dirs(settings, tmp_path):
    """Job files and engine state in this test's folder, for the test process and its worker alike."""
    jobs_root, engine_root = tmp_path / "jobs", tmp_path / "engine"
    settings.JOBS_ROOT = jobs_root
    settings.COMPUTE_ENGINES = {"local": {"root": engine_root}}
    return {"JOBS_ROOT": str(jobs_root), "ENGINE_ROOT": str(engine_root)}
