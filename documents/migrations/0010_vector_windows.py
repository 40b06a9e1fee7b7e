"""Every model's vector table gets a `windows` column: the chunk's sentence windows, packed
(documents/windows.py). Nullable without a default, so adding it is a catalog change only: no
partition is rewritten, whatever its size. Tables created later have it from the start."""

from django.db import migrations


def add_windows(apps, schema_editor):
    VectorStore = apps.get_model("documents", "VectorStore")
    with schema_editor.connection.cursor() as cursor:
        for table in VectorStore.objects.values_list("table", flat=True):
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is not None:
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS windows bytea")


def drop_windows(apps, schema_editor):
    VectorStore = apps.get_model("documents", "VectorStore")
    with schema_editor.connection.cursor() as cursor:
        for table in VectorStore.objects.values_list("table", flat=True):
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is not None:
                cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS windows")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0009_document_uploaded_and_queued_by_key"),
    ]

    operations = [migrations.RunPython(add_windows, drop_windows)]
