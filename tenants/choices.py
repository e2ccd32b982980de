"""Controlled vocabularies for tenant registration details."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class Industry(models.TextChoices):
    """Industries of companies and the ecosystem categories of partners (MISSION.md)."""

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
    RETAIL = "retail", _("Retail & e-commerce")
    FINANCE = "finance", _("Finance")
    AGRICULTURE = "agriculture", _("Agriculture")
    ENERGY = "energy", _("Energy")
    LOW_ALTITUDE = "low_altitude", _("Low-altitude economy")
    EMBODIED_AI = "embodied_ai", _("Embodied AI")
    AI_FOR_SCIENCE = "ai_for_science", _("AI for science")
    OTHER = "other", _("Other")


class Province(models.TextChoices):
    """Provincial-level divisions; the value is the GB/T 2260 two-digit prefix."""

    BEIJING = "11", _("Beijing")
    TIANJIN = "12", _("Tianjin")
    HEBEI = "13", _("Hebei")
    SHANXI = "14", _("Shanxi")
    INNER_MONGOLIA = "15", _("Inner Mongolia")
    LIAONING = "21", _("Liaoning")
    JILIN = "22", _("Jilin")
    HEILONGJIANG = "23", _("Heilongjiang")
    SHANGHAI = "31", _("Shanghai")
    JIANGSU = "32", _("Jiangsu")
    ZHEJIANG = "33", _("Zhejiang")
    ANHUI = "34", _("Anhui")
    FUJIAN = "35", _("Fujian")
    JIANGXI = "36", _("Jiangxi")
    SHANDONG = "37", _("Shandong")
    HENAN = "41", _("Henan")
    HUBEI = "42", _("Hubei")
    HUNAN = "43", _("Hunan")
    GUANGDONG = "44", _("Guangdong")
    GUANGXI = "45", _("Guangxi")
    HAINAN = "46", _("Hainan")
    CHONGQING = "50", _("Chongqing")
    SICHUAN = "51", _("Sichuan")
    GUIZHOU = "52", _("Guizhou")
    YUNNAN = "53", _("Yunnan")
    TIBET = "54", _("Tibet")
    SHAANXI = "61", _("Shaanxi")
    GANSU = "62", _("Gansu")
    QINGHAI = "63", _("Qinghai")
    NINGXIA = "64", _("Ningxia")
    XINJIANG = "65", _("Xinjiang")
    TAIWAN = "71", _("Taiwan")
    HONG_KONG = "81", _("Hong Kong")
    MACAO = "82", _("Macao")
