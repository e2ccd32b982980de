from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerCategory(models.TextChoices):
    """The ten ecosystem categories of MISSION.md."""

    CHIP = "chip", _("Chips")
    SERVER = "server", _("Servers")
    DATA_CENTRE = "data_centre", _("Data centres")
    LARGE_MODEL = "large_model", _("Large models & AI engineering")
    GOVERNMENT = "government", _("Government & public service")
    MANUFACTURING = "manufacturing", _("Advanced manufacturing")
    TRANSPORTATION = "transportation", _("Transportation")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    FILM_MEDIA = "film_media", _("Film & media")


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
    VERIFIED = "verified", _("Verified")
    EXPERIMENTAL = "experimental", _("Experimental")
    UNSUPPORTED = "unsupported", _("Unsupported")


class Workload(models.TextChoices):
    """What a solution template runs (the jobs issue implements them)."""

    KNOWLEDGE_BASE = "knowledge_base", _("Knowledge base Q&A (sentence embeddings)")
    TABULAR_TRAIN = "tabular_train", _("Train and evaluate a tabular model")
    TEXT_SUMMARY = "text_summary", _("Summarise documents")


CARD_SIZES = (1, 2, 4, 8)
