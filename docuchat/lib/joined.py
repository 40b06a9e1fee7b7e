"""One row of a model with its parents, as one hand-written query, for the checks every chat turn
makes (a member's access, an API key's).

The ORM's `select_related(...).filter(...).first()` took longer to compile the query and build
its rows than PostgreSQL took to answer it (py-spy, bench/chat_concurrency.py and bench/api.py).
The SQL is built once from the models' own fields, so it follows their migrations.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model


@dataclass(frozen=True)
class Joined:
    """`SELECT <every column of each model> FROM <first> JOIN ... WHERE <where> LIMIT 1`.

    `models` are (model, alias, join condition) with the first model's condition empty;
    `where` uses the aliases and %s placeholders.
    """

    models: tuple[tuple[type[Model], str, str], ...]
    where: str

    def sql(self) -> str:
        columns, tables = [], []
        for model, alias, on in self.models:
            quote = connection.ops.quote_name
            columns += [f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields]
            table = f"{quote(model._meta.db_table)} {alias}"
            tables.append(f"JOIN {table} ON {on}" if on else table)
        return f"SELECT {', '.join(columns)} FROM {' '.join(tables)} WHERE {self.where} LIMIT 1"  # noqa: S608 (names from the models)

    def first(self, params: Sequence[Any]) -> list[Model] | None:
        """The row's model instances, in the order of `models` (parents not yet attached)."""
        sql = _compiled.get(self)
        if sql is None:
            sql = _compiled[self] = self.sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        loaded, at = [], 0
        for model, _, _ in self.models:
            fields = model._meta.concrete_fields
            values = [_converted(f, v) for f, v in zip(fields, row[at : at + len(fields)], strict=True)]
            loaded.append(model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values))
            at += len(fields)
        return loaded


def _converted(field: Field, value: Any) -> Any:
    """The value as the ORM gives it (a JSONField's text parsed, for example)."""
    for convert in field.get_db_converters(connection):
        value = convert(value, field, connection)
    return value


_compiled: dict[Joined, str] = {}
