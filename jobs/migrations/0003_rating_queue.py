"""Unrated usage records wait in `jobs_ratingqueue` instead of carrying a `rated` flag.

Rating used to UPDATE every usage row it charged (a new row version with an entry in each of the
table's indexes); now it deletes a narrow queue row. A trigger queues each usage record the moment it
is inserted, whatever code inserts it, so nothing can be left out of rating.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION jobs_usage_enqueue() RETURNS trigger AS $$
BEGIN
    INSERT INTO jobs_ratingqueue (usage_id) SELECT id FROM new_usage;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER jobs_usage_enqueue AFTER INSERT ON jobs_usagerecord REFERENCING NEW TABLE AS new_usage
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_usage_enqueue();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS jobs_usage_enqueue ON jobs_usagerecord;
DROP FUNCTION IF EXISTS jobs_usage_enqueue();
"""
SQLITE_UP = (
    "CREATE TRIGGER jobs_usage_enqueue AFTER INSERT ON jobs_usagerecord "
    "BEGIN INSERT INTO jobs_ratingqueue (usage_id) VALUES (NEW.id); END;"
)
SQLITE_DOWN = "DROP TRIGGER IF EXISTS jobs_usage_enqueue;"


def queue_unrated(apps, schema_editor):
    UsageRecord = apps.get_model("jobs", "UsageRecord")
    RatingQueue = apps.get_model("jobs", "RatingQueue")
    unrated = UsageRecord._base_manager.filter(rated=False).values_list("pk", flat=True)
    RatingQueue.objects.bulk_create([RatingQueue(usage_id=pk) for pk in unrated.iterator()], batch_size=5000)


def add_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_lean_indexes")]

    operations = [
        migrations.CreateModel(
            name="RatingQueue",
            fields=[
                (
                    "usage",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rating_queue",
                        serialize=False,
                        to="jobs.usagerecord",
                    ),
                ),
            ],
        ),
        migrations.RunPython(queue_unrated, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="usagerecord", name="jobs_usage_unrated"),
        migrations.RemoveField(model_name="usagerecord", name="rated"),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
