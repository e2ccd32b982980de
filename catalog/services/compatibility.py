"""The model × chip compatibility matrix, kept by each model's partner (and operator staff)."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from catalog.choices import CompatStatus, OfferingKind
from catalog.models import ChipType, Compatibility, Offering
from catalog.services.indexing import reindex_for_model
from tenants.models import Membership
from tenants.roles import Perm, has_perm


@transaction.atomic(durable=True)
def compatibility_set(
    *,
    acting_membership: Membership,
    model_offering: Offering,
    chip_type: ChipType,
    status: str,
    score: int,
    throughput: Decimal | None = None,
    min_cards: int = 1,
    note: str = "",
    checked_on: date | None = None,
) -> Compatibility:
    owner = (
        has_perm(acting_membership, Perm.MANAGE_LISTINGS) and model_offering.tenant_id == acting_membership.tenant_id
    )
    if not (owner or has_perm(acting_membership, Perm.REVIEW_LISTINGS)):
        raise PermissionDenied(_("Only the model's partner or operator staff can change its compatibility."))
    if model_offering.kind != OfferingKind.MODEL:
        raise ValidationError({"model_offering": _("Compatibility is recorded for models.")})
    if status not in CompatStatus.values:
        raise ValidationError({"status": _("Choose verified, experimental or unsupported.")})
    if not 0 <= int(score) <= 100:
        raise ValidationError({"score": _("The score is between 0 and 100.")})
    row, _created = Compatibility.objects.update_or_create(
        model_offering=model_offering,
        chip_type=chip_type,
        defaults={
            "status": status,
            "score": score,
            "throughput": throughput,
            "min_cards": min_cards,
            "note": note,
            "checked_on": checked_on or date.today(),
        },
    )
    audit_record(
        action="compatibility.set",
        tenant=model_offering.tenant,
        actor=acting_membership.user,
        obj=row,
        after={"chip": chip_type.slug, "status": status, "score": int(score)},
    )
    reindex_for_model(model_offering.pk)
    return row
