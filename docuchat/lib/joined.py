"""One row of a model with its parents, as one hand-written query, for the checks every chat turn
makes (a member's access, an API key's).

The ORM's `select_related(...).filter(...).first()` took longer to compile the query and build
its rows than PostgreSQL took to answer it (py-spy, bench/chat_concurrency.py and bench/api.py).
The SQL is built once from the models' own fields, so it follows their migrations.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model


@dataclass(frozen=True)
class Joined:
    """`SELECT <every column of each model> FROM <first> JOIN ... WHERE <where> LIMIT 1`.

    `models` are (model, alias, join condition) with the first model's condition empty;
    `where` uses the aliases and %s placeholders. The SQL, the field names and the converters are
    worked out on first use, once.
    """

    models: tuple[tuple[type[Model], str, str], ...]
    where: str

    @cached_property
    def sql(self) -> str:
        quote = connection.ops.quote_name
        columns, tables = [], []
        for model, alias, on in self.models:
            columns += [f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields]
            table = f"{quote(model._meta.db_table)} {alias}"
            tables.append(f"JOIN {table} ON {on}" if on else table)
        return f"SELECT {', '.join(columns)} FROM {' '.join(tables)} WHERE {self.where} LIMIT 1"  # noqa: S608 (names from the models)

    @cached_property
    def rows(self) -> list[tuple[type[Model], list[str], list[tuple[int, Field, list[Any]]]]]:
        """Per model: its field names, and where the ORM converts a value (a JSONField's text
        parsed, for example): the column's place, the field and its converters."""
        plan = []
        for model, _, _ in self.models:
            fields = model._meta.concrete_fields
            converted = [(i, f, f.get_db_converters(connection)) for i, f in enumerate(fields)]
            plan.append((model, [f.attname for f in fields], [c for c in converted if c[2]]))
        return plan

    def first(self, params: Sequence[Any]) -> list[Model] | None:
        """The row's model instances, in the order of `models` (parents not yet attached)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        loaded, at = [], 0
        for model, names, converted in self.rows:
            values = list(row[at : at + len(names)])
            for index, field, converters in converted:
                for convert in converters:
                    values[index] = convert(values[index], field, connection)
            loaded.append(model.from_db(DEFAULT_DB_ALIAS, names, values))
            at += len(names)
        return loaded
