"""Views, favourites: small writes from browsing."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Favourite, Offering, OfferingDailyStat, OfferingVersion


def offering_record_view(*, offering_id: int) -> None:
    """Count a detail-page view (total and per day) without read-modify-write races."""
    today = timezone.localdate()
    with transaction.atomic():
        Offering.unscoped.filter(pk=offering_id).update(view_count=F("view_count") + 1)
        OfferingVersion.unscoped.filter(offering_id=offering_id, state="live").update(popularity=F("popularity") + 1)
        updated = OfferingDailyStat.objects.filter(offering_id=offering_id, day=today).update(views=F("views") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    OfferingDailyStat.objects.create(offering_id=offering_id, day=today, views=1)
            except IntegrityError:  # created by a concurrent view
                OfferingDailyStat.objects.filter(offering_id=offering_id, day=today).update(views=F("views") + 1)


@transaction.atomic(durable=True)
def favourite_toggle(*, user, offering: Offering) -> bool:
    """Save or unsave an offering for a person. Returns whether it is now a favourite."""
    deleted, _ = Favourite.objects.filter(user=user, offering=offering).delete()
    if deleted:
        return False
    Favourite.objects.get_or_create(user=user, offering=offering)
    return True


@transaction.atomic(durable=True)
def favourite_set(*, user, offering: Offering, saved: bool) -> None:
    """Save (`saved`) or unsave an offering for a person; doing it twice changes nothing."""
    if saved:
        Favourite.objects.get_or_create(user=user, offering=offering)
    else:
        Favourite.objects.filter(user=user, offering=offering).delete()


def offering_record_launch(*, offering_ids: list[int]) -> None:
    """Count a launch of a template and the model and pool it runs on (total, per day, popularity).
    Runs inside the launch's transaction, so a refused launch counts nothing."""
    today = timezone.localdate()
    for offering_id in offering_ids:
        Offering.unscoped.filter(pk=offering_id).update(launch_count=F("launch_count") + 1)
        OfferingVersion.unscoped.filter(offering_id=offering_id, state="live").update(popularity=F("popularity") + 5)
        updated = OfferingDailyStat.objects.filter(offering_id=offering_id, day=today).update(
            launches=F("launches") + 1
        )
        if not updated:
            OfferingDailyStat.objects.get_or_create(offering_id=offering_id, day=today, defaults={"launches": 1})
