"""Does the database hold what the configured embedding models need? (a system check and /healthz)

Each problem names its fix:
- a workspace's model (or the one it is switching to) is not allowed by this server now, e.g.
  OPENAI_API_KEY was removed, or EMBEDDING_DIMENSIONS changed under an OpenAI model;
- a model's vector table is missing, or its column has another size than the model;
- ready documents without vectors of their workspace's model (an interrupted upgrade or switch).
"""

from typing import Any

from django.core import checks
from django.db import DatabaseError
from django.db.models import Count, Exists, OuterRef

from documents import index, vectors
from documents.models import Document, DocumentVectors, SearchIndex, VectorStore


def embedding_problems() -> list[str]:
    """Each mismatch between the configured models and the database, with its fix; [] when none.

    A few small queries (one per model, and two more), whatever the number of chunks; /healthz
    calls this on every probe.
    """
    problems = [*_tables(), *_workspaces()]
    return problems


def _tables() -> list[str]:
    problems = []
    for store in VectorStore.objects.order_by("pk"):
        size = vectors.dimensions_in_database(store)
        if size is None:
            problems.append(
                f"The vector table {store.table} of {store} is missing. Fix: switch the workspaces "
                f"that use it to another model (manage.py reindex --tenant <slug> --switch <model>)."
            )
        elif size != store.dimensions:
            problems.append(
                f"The vector table {store.table} holds {size}-dimension vectors, not {store.dimensions} "
                f"as {store.model} needs. Fix: switch its workspaces to another model."
            )
    return problems


def _workspaces() -> list[str]:
    problems = []
    by_store: dict[VectorStore, list[str]] = {}
    for current in SearchIndex.objects.select_related("tenant", "store", "target"):
        for store in filter(None, (current.store, current.target)):
            if index.spec_of(store) is None:
                by_store.setdefault(store, []).append(current.tenant.slug)
    for store, slugs in by_store.items():
        problems.append(
            f"{_names(slugs)} use{'s' if len(slugs) == 1 else ''} {index.unavailable_message(store)} "
            f"(e.g. manage.py reindex --tenant {slugs[0]} --switch <model>)"
        )
    lacking = _lacking_vectors()
    if lacking:
        counts = ", ".join(f"{slug} ({n})" for slug, n in lacking)
        problems.append(
            f"Ready documents without vectors of their workspace's model: {counts}. Search cannot find "
            "their passages. Fix: manage.py reindex --outdated"
        )
    return problems


def _lacking_vectors() -> list[tuple[str, int]]:
    has_vectors = DocumentVectors.objects.filter(
        document=OuterRef("pk"), store_id=OuterRef("tenant__search_index__store_id")
    )
    rows = (
        Document.objects.filter(status=Document.Status.READY, tenant__search_index__isnull=False)
        .exclude(Exists(has_vectors))
        .values_list("tenant__slug")
        .annotate(n=Count("pk"))
        .order_by("tenant__slug")
    )
    return list(rows)


def _names(slugs: list[str]) -> str:
    shown = ", ".join(slugs[:5]) + (f" and {len(slugs) - 5} more" if len(slugs) > 5 else "")
    return f"Workspace{'s' if len(slugs) > 1 else ''} {shown}"


@checks.register("documents")
def check_embedding_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The same problems as warnings (never errors: they must not stop the server or a migration)."""
    try:
        problems = embedding_problems()
    except DatabaseError:  # not migrated yet, or no database: migrate and the connection say so
        return []
    return [checks.Warning(problem, id="documents.W001") for problem in problems]
