"""A model launched on a pool without a template: a trial on the company's own documents, on pools
whose chip the model has been adapted to."""

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.selectors import live_template
from jobs.services.launch import LaunchError, LaunchRequest, launch
from tenants.scoping import tenant_context
from tests.conftest import member_client
from tests.flows import world

pytestmark = pytest.mark.django_db


def test_a_model_launches_as_a_trial_on_a_compatible_pool(job_dirs):
    w = world.build()
    version = live_template(w.catalog.model.offering.slug)
    assert version.workload in ("knowledge_base", "text_summary") and version.example_inputs
    with tenant_context(w.company):
        job, created = launch(
            tenant=w.company,
            actor=w.owner.user,
            request=LaunchRequest(version=version, pool=w.pool, cards=1, params=dict(version.example_inputs)),
        )
    assert created and job.model_offering_id == w.catalog.model.offering_id == job.offering_id
    assert job.workload == version.workload and job.estimate_fen > 0
    with tenant_context(w.company), pytest.raises(LaunchError) as refused:
        launch(
            tenant=w.company,
            actor=w.owner.user,
            request=LaunchRequest(
                version=live_template(w.catalog.model.offering.slug),
                pool=w.a100_pool,
                cards=1,
                params=dict(version.example_inputs),
            ),
        )
    assert refused.value.field == "pool"
    assert Job.unscoped.count() == 1


def test_the_model_page_offers_a_trial_and_the_launch_page_renders(job_dirs):
    w = world.build()
    client = member_client(w.owner)
    slug = w.catalog.model.offering.slug
    detail = client.get(reverse("catalog:detail", args=[slug]))
    assert reverse("jobs:launch", args=[slug]) in detail.content.decode()
    page = client.get(reverse("jobs:launch", args=[slug]) + "?example=1")
    assert page.status_code == 200
    assert f'data-pool="{w.pool.pk}"' in page.content.decode()
    pool = client.get(reverse("jobs:launch", args=[w.pool.offering.slug]))
    assert pool.status_code == 404
