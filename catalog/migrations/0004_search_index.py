"""GIN index for catalog search on PostgreSQL (see catalog/search.py). The expression matches what
`SearchVector("search_tokens", config="simple")` compiles to, so the planner can use it."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS catalog_version_search_gin ON catalog_offeringversion "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_tokens, '')))"
)
DROP = "DROP INDEX IF EXISTS catalog_version_search_gin"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_tokens")]
    operations = [migrations.RunPython(up, down)]
