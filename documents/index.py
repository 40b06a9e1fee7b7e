"""A workspace's search index: which embedding model answers its questions, and which get vectors.

`SearchIndex.store` answers questions; while a switch runs, `target` gets vectors too. Every tenant
has one row, made on first use with the server's default model (documents/registry.py).
"""

from django.db import IntegrityError, connection, transaction

from docuchat.lib.joined import Joined
from documents import registry, vectors
from documents.embeddings import Embedder
from documents.models import SearchIndex, VectorStore
from tenants.models import Tenant


class ModelUnavailable(Exception):
    """The workspace's model is not allowed on this server now; the message says what to do."""


def current(tenant: Tenant | int) -> SearchIndex:
    """The tenant's search index, created with the server's default model on first use."""
    tenant_id = getattr(tenant, "pk", tenant)
    found = SearchIndex.objects.select_related("store", "target").filter(tenant_id=tenant_id).first()
    if found:
        return found
    spec = registry.default()
    store = vectors.store_for(spec.name, spec.dimensions)
    try:
        with transaction.atomic():
            SearchIndex.objects.create(tenant_id=tenant_id, store=store)
    except IntegrityError:  # created meanwhile by another process
        pass
    return SearchIndex.objects.select_related("store", "target").get(tenant_id=tenant_id)


ANSWERING = Joined(((VectorStore, "st", ""), (SearchIndex, "s", "s.store_id = st.id")), "s.tenant_id = %s")


def answering_store(tenant: Tenant | int) -> VectorStore:
    """The store that answers the tenant's questions (current(tenant).store), read by every turn in
    one hand-written query: the ORM's select_related took more Python to build than PostgreSQL
    took to answer (py-spy, the 200-chat burst)."""
    found = ANSWERING.first([getattr(tenant, "pk", tenant)])
    return found[0] if found is not None else current(tenant).store  # type: ignore[return-value]


def locked(tenant_id: int, *, share: bool = False) -> SearchIndex:
    """The index row, locked until the transaction ends: FOR SHARE by a document's commit (several
    may commit at once), FOR UPDATE by the switch, so that the two never interleave."""
    current(tenant_id)
    with connection.cursor() as cursor:
        sql = "SELECT 1 FROM documents_searchindex WHERE tenant_id = %s FOR "
        cursor.execute(sql + ("SHARE" if share else "UPDATE"), [tenant_id])
    return SearchIndex.objects.select_related("store", "target").get(tenant_id=tenant_id)


def stores_to_fill(index: SearchIndex) -> list[VectorStore]:
    """The models a document needs vectors of: the workspace's, and the one it is switching to."""
    return [index.store, index.target] if index.target else [index.store]


def spec_of(store: VectorStore) -> registry.ModelSpec | None:
    return registry.find(store.model, store.dimensions)


def embedder_for(store: VectorStore) -> Embedder:
    spec = spec_of(store)
    if spec is None:
        raise ModelUnavailable(unavailable_message(store))
    return registry.embedder(spec)


def unavailable_message(store: VectorStore) -> str:
    if any(s.name == store.model and s.dimensions == store.dimensions for s in registry.remote_models()):
        why = "OPENAI_API_KEY is not set"
    else:
        why = "it is not in EMBEDDING_MODEL or EMBEDDING_MODELS"
    return (
        f"The embedding model {store} is not available on this server ({why}). Restore it, "
        "or switch the workspace to an allowed model (the Search index page, or manage.py reindex --switch)."
    )
