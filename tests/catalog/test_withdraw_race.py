"""A partner withdrawing a version while operator staff approve it, on real concurrent connections:
exactly one of them wins, neither deadlocks, and the listing ends in the winner's state."""

import pytest
from django.core.exceptions import ValidationError

from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Offering, OfferingVersion
from catalog.services.listings import offering_withdraw, version_approve
from tenants.scoping import tenant_context
from tests.billing.test_ledger import run_threads
from tests.catalog.conftest import compute_content, make_listing, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_withdraw_and_approve_race_has_one_winner(manager, staff, chip):
    outcomes = set()
    for _ in range(8):
        offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
        submit(manager, offering)
        version = OfferingVersion.unscoped.get(offering=offering)

        def act(i: int, offering=offering, version=version):
            if i == 0:
                with tenant_context(manager.tenant):
                    return offering_withdraw(offering=offering, acting_membership=manager)
            with tenant_context(staff.tenant):
                return version_approve(version=version, acting_membership=staff)

        results = run_threads(2, act)
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
        offering = Offering.unscoped.get(pk=offering.pk)
        version.refresh_from_db()
        if isinstance(results[0], Exception):  # approval won
            assert (version.state, offering.status, offering.live_version_id) == (
                VersionState.LIVE,
                OfferingStatus.PUBLISHED,
                version.pk,
            )
            outcomes.add("approved")
        else:
            assert (version.state, offering.status, offering.live_version_id) == (
                VersionState.DRAFT,
                OfferingStatus.DRAFT,
                None,
            )
            outcomes.add("withdrawn")
    assert outcomes  # at least one race ran to the end (which side wins is up to the scheduler)
