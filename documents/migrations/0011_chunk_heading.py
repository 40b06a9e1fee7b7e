"""Chunks get the section heading in force where they begin (documents.chunking.find_headings), and
their full-text vector covers it: `search` becomes to_tsvector('simple', heading || ' ' || text).

Adding the column with a constant default is a catalog change; changing the generated column's
expression (PostgreSQL 17+) rewrites the chunk table and its GIN index, in one lock. Existing chunks
get an empty heading (the same lexemes as before) until their document is re-indexed.
"""

import django.contrib.postgres.search
from django.db import migrations, models

HEADED = "to_tsvector('simple'::regconfig, COALESCE(heading, '') || ' ' || COALESCE(text, ''))"
PLAIN = "to_tsvector('simple'::regconfig, COALESCE(text, ''))"


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0010_vector_windows"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="heading",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE documents_chunk ALTER COLUMN search SET EXPRESSION AS ({HEADED})",
                    reverse_sql=f"ALTER TABLE documents_chunk ALTER COLUMN search SET EXPRESSION AS ({PLAIN})",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="chunk",
                    name="search",
                    field=models.GeneratedField(
                        db_persist=True,
                        expression=django.contrib.postgres.search.SearchVector("heading", "text", config="simple"),
                        output_field=django.contrib.postgres.search.SearchVectorField(),
                    ),
                ),
            ],
        ),
    ]
