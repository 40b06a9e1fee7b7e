"""Chunks get the section heading in force where they begin (documents.chunking.find_headings): it is
part of the text their vector and sentence windows embed, never of what is shown or quoted.

Adding the column with a constant default is a catalog change (no table rewrite). Existing chunks
get an empty heading (embedded as before) until their document is re-indexed. The full-text column
is unchanged: the heading there gained nothing on bench/eval (docs/retrieval.md) and changing a
generated column's expression rewrites the chunk table.
"""

from django.db import migrations, models


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
    ]
