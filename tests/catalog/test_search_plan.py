"""Search tokenisation and that PostgreSQL can answer it from the GIN index."""

from django.db import connection

from catalog.filtersets import OfferingFilterSet
from catalog.search import tokens, tsquery
from catalog.selectors import live_versions


def test_tokens_are_cjk_bigrams_and_words():
    assert tokens("华西医疗影像 Medical-AI v2") == "华西 西医 医疗 疗影 影像 medical ai v2"
    assert tsquery(["医疗"]) == "医疗"
    assert tsquery(["医疗影像", "Inference"]) == "医疗 & 疗影 & 影像 & inference:*"
    assert tsquery(["医"]) == "医:*"
    assert tsquery(["'); drop table x; --"]) == "drop:* & table:* & x:*"


def test_search_uses_the_gin_index(db):
    """Rows are matched against the stored tsvector (never a to_tsvector() per row), and the GIN
    index serves the search when scanning is not cheaper."""
    from catalog.choices import OfferingKind, OfferingStatus, VersionState
    from catalog.models import Offering, OfferingVersion
    from tests.factories import TenantFactory

    tenant = TenantFactory(kind="partner")
    offerings = Offering.unscoped.bulk_create(
        Offering(tenant=tenant, kind=OfferingKind.MODEL, slug=f"m-{i}") for i in range(3000)
    )
    OfferingVersion.unscoped.bulk_create(
        OfferingVersion(
            tenant=tenant,
            offering=o,
            kind=OfferingKind.MODEL,
            number=1,
            state=VersionState.LIVE,
            name_zh=f"模型{i}",
            name_en=f"Model {i}",
            search_tokens=tokens(f"通用 模型{i} general {i}" + (" 医疗" if i % 500 == 0 else "")),
        )
        for i, o in enumerate(offerings)
    )
    from django.db.models import OuterRef, Subquery

    Offering.unscoped.filter(tenant=tenant).update(
        live_version=Subquery(OfferingVersion.unscoped.filter(offering=OuterRef("pk")).values("pk")[:1]),
        status=OfferingStatus.PUBLISHED,
    )
    with connection.cursor() as cursor:
        # Rows inserted in this (test) transaction still sit in the GIN pending list.
        cursor.execute("SELECT gin_clean_pending_list('catalog_version_search_gin'::regclass)")
        cursor.execute("ANALYZE catalog_offeringversion")
        cursor.execute("ANALYZE catalog_offering")
    filterset = OfferingFilterSet({"q": "医疗"}, queryset=live_versions())
    assert filterset.qs.count() == 6
    sql, params = filterset.qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "search_vector @@" in plan and "to_tsvector" not in plan, plan
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_version_search_gin" in plan, plan


def test_facet_filters_do_not_make_the_results_query_distinct(db):
    """DISTINCT over the wide version rows made the page slow at 100,000 offerings."""
    data = {"kind": ["compute", "model"], "category": ["health"], "region": ["51"], "industry": ["health"]}
    filterset = OfferingFilterSet(data, queryset=live_versions())
    assert filterset.is_valid(), filterset.errors
    assert "DISTINCT" not in str(filterset.qs.query)
