from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.choices import Industry

# The ten ecosystem categories of MISSION.md: the same codes and labels as those industries.
_CATEGORY_CODES = (
    "chip",
    "server",
    "data_centre",
    "large_model",
    "government",
    "manufacturing",
    "transportation",
    "health",
    "education",
    "film_media",
)
PartnerCategory = models.TextChoices(
    "PartnerCategory", [(m.name, (m.value, m.label)) for m in Industry if m.value in _CATEGORY_CODES]
)


class OfferingKind(models.TextChoices):
    COMPUTE = "compute", _("Compute pool")
    MODEL = "model", _("Model")
    SOLUTION = "solution", _("Solution template")


class OfferingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    REJECTED = "rejected", _("Rejected")
    LIVE = "live", _("Live")
    SUPERSEDED = "superseded", _("Superseded")


class Platform(models.TextChoices):
    TRADITIONAL = "traditional", _("Empowering traditional industries")
    EMERGING = "emerging", _("Accelerating emerging industries")


class Modality(models.TextChoices):
    TEXT = "text", _("Text")
    VISION = "vision", _("Vision")
    MULTIMODAL = "multimodal", _("Multimodal")
    SPEECH = "speech", _("Speech")
    TABULAR = "tabular", _("Tabular")
    EMBEDDING = "embedding", _("Embedding")


class CompatStatus(models.TextChoices):
    VERIFIED = "verified", pgettext_lazy("compatibility", "Verified")
    EXPERIMENTAL = "experimental", _("Experimental")
    UNSUPPORTED = "unsupported", _("Unsupported")


class Workload(models.TextChoices):
    """What a solution template runs (the jobs issue implements them)."""

    KNOWLEDGE_BASE = "knowledge_base", _("Knowledge base Q&A (sentence embeddings)")
    TABULAR_TRAIN = "tabular_train", _("Train and evaluate a tabular model")
    TEXT_SUMMARY = "text_summary", _("Summarise documents")


CARD_SIZES = (1, 2, 4, 8)
