"""Store the search tsvector (PostgreSQL only) so that matching a row costs no to_tsvector() call:
with a LIMIT and a price sort the planner may walk the price index and test rows one by one."""

from django.db import migrations

UP = [
    "DROP INDEX IF EXISTS catalog_version_search_gin",
    "ALTER TABLE catalog_offeringversion ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_tokens, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS catalog_version_search_gin ON catalog_offeringversion USING gin (search_vector)",
]
DOWN = [
    "DROP INDEX IF EXISTS catalog_version_search_gin",
    "ALTER TABLE catalog_offeringversion DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX IF NOT EXISTS catalog_version_search_gin ON catalog_offeringversion "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_tokens, '')))",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_index")]
    operations = [migrations.RunPython(run(UP), run(DOWN))]
