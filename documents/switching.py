"""Switching a workspace's embedding model: a background migration that never stops search.

1. `start`: the owner or admin picks an allowed model. The index gets it as its `target` (the
   model's table is created on first use) and a `switch_embeddings` task is queued. From now on
   every document the pipeline indexes gets vectors of both models (documents/pipeline.py).
2. `build` (the task): claims the switch with a conditional update under a fresh lease token,
   renewed by a heartbeat while it runs (a switch whose worker died is queued again by the
   recovery sweep, documents/recovery.py). Then, one ready document at a time:
   a. reserve its chunks' tokens against the budgets (usage/quotas.py); over budget, the switch
      waits, saying why, with a task deferred to the reset (raising the budget resumes it);
   b. embed its chunks with the new model;
   c. in one transaction, holding the document's row and checking the lease, its chunks and the
      target are unchanged: write the vectors and the document's DocumentVectors row, meter.
   A retry finds those documents done and skips them; nothing is written twice.
3. `flip`: when no ready document lacks the new vectors, one transaction (the index row locked
   FOR UPDATE, so no document commits meanwhile) makes the target the workspace's model. Until
   then every question was answered with the old model; from then on with the new one.
4. `purge`: the old model's vectors of this workspace are deleted, in batches, after the switch.
5. `cancel`: before the switch, one action drops the target; its vectors are purged the same way.

Hooks for another app (the evaluation, issue 11): `switch_started` and `switch_finished`
(sender SearchIndex; `index`, and `by` for the start) let it act around a switch, e.g. score
retrieval with the old model before and with the new one after; `search_index_panels` (sender
SearchIndex; `index`, `request`) asks it for HTML to show on the Search index page beside the
switch, e.g. those scores side by side. A receiver returns rendered HTML, or None.
"""

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from documents import index, live, registry, vectors, windows
from documents.chunking import heading_tokens, indexed_text
from documents.embeddings import EmbeddingError
from documents.models import Chunk, Document, DocumentVectors, SearchIndex, VectorStore
from tenants import audit
from tenants.models import Tenant
from usage import metering, quotas
from usage.metering import cost_of

logger = logging.getLogger(__name__)

State = SearchIndex.State
switch_started = Signal()  # sender=SearchIndex, by=user or None
switch_finished = Signal()  # sender=SearchIndex (its `previous` is the model switched from)
search_index_panels = Signal()  # sender=SearchIndex, index, request -> rendered HTML or None


class SwitchRefused(Exception):
    """The switch cannot start (or stop); the message says why."""


class Aborted(Exception):
    """The switch was cancelled or taken over: stop without writing."""


class WaitingForBudget(Exception):
    def __init__(self, exceeded: quotas.QuotaExceeded) -> None:
        super().__init__(f"Waiting for budget: {exceeded}")
        self.resets_at = exceeded.resets_at


def lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)


# --- Starting and cancelling ------------------------------------------------------------------


def start(tenant: Tenant, key: str, by: Any = None) -> SearchIndex:
    """Begin switching `tenant` to the allowed model `key` ("name:dimensions" or its name)."""
    spec = registry.parse(key)
    if spec is None:
        allowed = ", ".join(s.key for s in registry.allowed())
        raise SwitchRefused(f"{key!r} is not an embedding model this server allows. Allowed: {allowed}.")
    target = vectors.store_for(spec.name, spec.dimensions)
    with transaction.atomic():
        current = index.locked(tenant.pk)
        if current.target_id:
            raise SwitchRefused(f"A switch to {current.target} is already under way; cancel it first.")
        if current.store_id == target.pk:
            raise SwitchRefused(f"This workspace already uses {target}.")
        SearchIndex.objects.filter(pk=tenant.pk).update(
            target=target, state=State.QUEUED, error="", requested_by=_user(by), started=timezone.now(),
            documents_done=0, documents_total=_ready(tenant.pk).count(), lease_token=None,
            lease_expires=None, budget_wait_until=None, updated=timezone.now(),
        )  # fmt: skip
        _audit(tenant, by, "started", current.store, target)
        enqueue(tenant.pk)
    updated = index.current(tenant)
    switch_started.send(sender=SearchIndex, index=updated, by=_user(by))
    live.push_index(updated)
    return updated


def cancel(tenant: Tenant, by: Any = None) -> SearchIndex:
    """Roll back a switch that has not happened yet: the workspace keeps its model, and the new
    model's vectors built so far are removed in the background."""
    with transaction.atomic():
        current = index.locked(tenant.pk)
        if not current.target_id:
            raise SwitchRefused("No switch is under way.")
        SearchIndex.objects.filter(pk=tenant.pk).update(
            target=None, state=State.READY, error="", lease_token=None, lease_expires=None,
            budget_wait_until=None, purge_pending=True, updated=timezone.now(),
        )  # fmt: skip
        _audit(tenant, by, "cancelled", current.store, current.target)
        enqueue(tenant.pk)
    updated = index.current(tenant)
    live.push_index(updated)
    return updated


def enqueue(tenant_id: int, run_after: datetime | None = None) -> None:
    from documents.tasks import switch_embeddings

    task = switch_embeddings.using(run_after=run_after) if run_after else switch_embeddings
    transaction.on_commit(lambda: task.enqueue(tenant_id))


def resume_waiting(tenant: Tenant) -> bool:
    """A switch waiting for budget tries again now (the budget was raised)."""
    waiting = SearchIndex.objects.filter(pk=tenant.pk, state=State.WAITING, target__isnull=False)
    if waiting.update(state=State.QUEUED, budget_wait_until=None, updated=timezone.now()):
        enqueue(tenant.pk)
        return True
    return False


# --- The task -----------------------------------------------------------------------------


def run(tenant_id: int, listener: Any = None) -> SearchIndex | None:
    """Build, switch and purge as far as possible; None when there was nothing to claim."""
    purge(tenant_id)
    token = claim(tenant_id)
    if token is None:
        return None
    with heartbeat(tenant_id, token):
        try:
            build(tenant_id, token, listener)
            flip(tenant_id, token)
        except Aborted:
            logger.info("The switch of tenant %s was cancelled or taken over.", tenant_id)
        except WaitingForBudget as exc:
            wait_for_budget(tenant_id, token, exc)
        except (EmbeddingError, index.ModelUnavailable) as exc:
            stop(tenant_id, token, str(exc))
        except Exception:
            logger.exception("Switching the embedding model of tenant %s failed", tenant_id)
            stop(
                tenant_id,
                token,
                "The switch stopped on an unexpected error; the worker's log has the details.",
            )
            raise
    purge(tenant_id)
    return index.current(tenant_id)


def claim(tenant_id: int) -> uuid.UUID | None:
    """Take the switch: queued, building under a lease that ran out (its worker died), or waiting
    for a budget that has reset since."""
    token, now = uuid.uuid4(), timezone.now()
    claimable = SearchIndex.objects.filter(pk=tenant_id, target__isnull=False).filter(
        Q(state=State.QUEUED)
        | Q(state=State.BUILDING, lease_expires__lt=now)
        | Q(state=State.WAITING, budget_wait_until__lte=now)
    )
    claimed = {"state": State.BUILDING, "lease_token": token, "lease_expires": lease_until(), "error": ""}
    if not claimable.update(**claimed, budget_wait_until=None):
        return None
    return token


def owned(tenant_id: int, token: uuid.UUID) -> Any:
    return SearchIndex.objects.filter(pk=tenant_id, lease_token=token, target__isnull=False)


def _ready(tenant_id: int) -> Any:
    return Document.objects.filter(tenant_id=tenant_id, status=Document.Status.READY)


def missing(tenant_id: int, store: VectorStore) -> Any:
    """The tenant's ready documents without vectors of `store`, oldest first."""
    return _ready(tenant_id).exclude(vector_sets__store=store).order_by("pk")


def build(tenant_id: int, token: uuid.UUID, listener: Any = None) -> None:
    """Give every ready document vectors of the target model, one document at a time."""
    current = owned(tenant_id, token).select_related("target", "requested_by", "tenant").first()
    if current is None:
        raise Aborted
    embedder = index.embedder_for(current.target)
    tried: set[int] = set()
    while document := missing(tenant_id, current.target).exclude(pk__in=tried).first():
        tried.add(document.pk)
        _progress(tenant_id, token, current.target, listener)
        embed_document(current, token, document, embedder)
    _progress(tenant_id, token, current.target, listener)


def embed_document(current: SearchIndex, token: uuid.UUID, document: Document, embedder: Any) -> None:
    """Steps 2a to 2c for one document."""
    store, tenant = current.target, current.tenant
    chunks = list(Chunk.objects.filter(tenant_id=tenant.pk, document=document).order_by("ordinal")
                  .values_list("pk", "text", "token_count", "heading"))  # fmt: skip
    tokens = sum(count + heading_tokens(heading) for _, _, count, heading in chunks)
    texts = [indexed_text(heading, text) for _, text, _, heading in chunks]  # as the pipeline embeds them
    try:
        reservation = quotas.reserve(tenant, current.requested_by, tokens, cost_of(store.model, tokens, 0))
    except quotas.QuotaExceeded as exc:
        raise WaitingForBudget(exc) from exc
    with quotas.released(reservation):
        result = embedder.embed(texts)
        packed = windows.compute(embedder, texts)  # offline models only
        with transaction.atomic():
            if not owned(tenant.pk, token).filter(target=store).select_for_update().exists():
                raise Aborted
            # The document's row is held until commit: its pipeline run (which locks it to replace
            # the chunks) and its deletion wait, so these chunks are the ones that get vectors.
            held = (
                Document.objects.filter(pk=document.pk).select_for_update().values_list("status", flat=True)
            )
            status = held.first()
            current_chunks = Chunk.objects.filter(tenant_id=tenant.pk, document=document).values_list(
                "pk", flat=True
            )
            if status == Document.Status.READY and set(current_chunks) == {pk for pk, *_ in chunks}:
                pairs = zip(chunks, result.vectors, strict=True)
                rows = [(tenant.pk, pk, document.pk, v) for (pk, *_), v in pairs]
                vectors.insert(store, rows, windows=packed)
                DocumentVectors.objects.get_or_create(
                    document=document, store=store, defaults={"tokens": result.tokens}
                )
            # else it was re-indexed meanwhile (its own run wrote both models) or deleted
            if result.tokens:  # paid for either way
                kind = metering.Kind.DOCUMENT_EMBEDDING
                link = {"document": document} if status else {}
                metering.record(tenant, current.requested_by, kind, result.model, result.tokens, **link)


def _progress(tenant_id: int, token: uuid.UUID, store: VectorStore, listener: Any) -> None:
    total = _ready(tenant_id).count()
    done = total - missing(tenant_id, store).count()
    if not owned(tenant_id, token).update(
        documents_total=total, documents_done=done, lease_expires=lease_until()
    ):
        raise Aborted
    current = index.current(tenant_id)
    live.push_index(current)
    if listener:
        listener(current)


def flip(tenant_id: int, token: uuid.UUID) -> None:
    """Step 3: make the target the workspace's model, if every ready document has its vectors."""
    with transaction.atomic():
        current = index.locked(tenant_id)
        if current.lease_token != token or not current.target_id:
            raise Aborted
        if missing(tenant_id, current.target).exists():  # documents became ready meanwhile: go on
            transaction.on_commit(lambda: enqueue_now(tenant_id))
            SearchIndex.objects.filter(pk=tenant_id).update(
                state=State.QUEUED, lease_token=None, lease_expires=None
            )
            return
        old, new = current.store, current.target
        SearchIndex.objects.filter(pk=tenant_id).update(
            store=new, previous=old, target=None, state=State.READY, error="", lease_token=None,
            lease_expires=None, purge_pending=True, switched=timezone.now(), updated=timezone.now(),
        )  # fmt: skip
        _audit(current.tenant, current.requested_by, "switched", old, new)
    finished = index.current(tenant_id)
    live.push_index(finished)
    switch_finished.send(sender=SearchIndex, index=finished)


def enqueue_now(tenant_id: int) -> None:
    from documents.tasks import switch_embeddings

    switch_embeddings.enqueue(tenant_id)


def wait_for_budget(tenant_id: int, token: uuid.UUID, exc: WaitingForBudget) -> None:
    with transaction.atomic():
        if owned(tenant_id, token).update(
            state=State.WAITING, error=str(exc)[:2000], budget_wait_until=exc.resets_at,
            lease_token=None, lease_expires=None, updated=timezone.now(),
        ):  # fmt: skip
            enqueue(tenant_id, run_after=exc.resets_at)
    live.push_index(index.current(tenant_id))


def stop(tenant_id: int, token: uuid.UUID, reason: str) -> None:
    """The switch stops (its target is kept, so it can be retried or cancelled); search goes on."""
    owned(tenant_id, token).update(
        state=State.FAILED, error=reason[:2000], lease_token=None, lease_expires=None, updated=timezone.now()
    )
    live.push_index(index.current(tenant_id))


def retry(tenant: Tenant) -> bool:
    """A stopped switch is queued again (e.g. after the embedding service came back)."""
    stopped = SearchIndex.objects.filter(pk=tenant.pk, state=State.FAILED, target__isnull=False)
    if stopped.update(state=State.QUEUED, error="", updated=timezone.now()):
        enqueue(tenant.pk)
        return True
    return False


def purge(tenant_id: int) -> int:
    """Step 4: delete the tenant's vectors of every model that is neither its own nor its target."""
    current = SearchIndex.objects.filter(pk=tenant_id, purge_pending=True).first()
    if current is None:
        return 0
    keep = {current.store_id, current.target_id}
    removed = 0
    for store in VectorStore.objects.exclude(pk__in=[pk for pk in keep if pk]):
        removed += vectors.purge(store, tenant_id)
        DocumentVectors.objects.filter(store=store, document__tenant_id=tenant_id).delete()
    # Only if no switch began meanwhile (its target must keep what it built).
    SearchIndex.objects.filter(pk=tenant_id, store_id=current.store_id, target_id=current.target_id).update(
        purge_pending=False
    )
    return removed


def recover() -> list[int]:
    """For the workers' recovery sweep: queue again the switches whose worker died (lease run out)
    or whose task was lost, and purges left unfinished. A duplicate task finds nothing to claim."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)
    stale = SearchIndex.objects.filter(
        Q(state=State.BUILDING, lease_expires__lt=now)
        | Q(state=State.QUEUED, updated__lt=since)
        | Q(state=State.WAITING, budget_wait_until__lt=since)
    )
    recovered = []
    for tenant_id, state, token in stale.values_list("pk", "state", "lease_token"):
        with transaction.atomic():
            rows = SearchIndex.objects.filter(pk=tenant_id, state=state, lease_token=token)
            if rows.update(state=State.QUEUED, lease_token=None, lease_expires=None, updated=now):
                enqueue(tenant_id)
                recovered.append(tenant_id)
    # A clean-up left unfinished (a running switch's lease is left alone: its run purges too).
    for tenant_id in (
        SearchIndex.objects.filter(purge_pending=True, updated__lt=since)
        .exclude(state=State.BUILDING)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            if SearchIndex.objects.filter(pk=tenant_id, updated__lt=since).update(updated=now):
                enqueue(tenant_id)
                recovered.append(tenant_id)
    return recovered


@contextmanager
def heartbeat(tenant_id: int, token: uuid.UUID) -> Iterator[None]:
    """Renew the switch's lease every third of DOCUMENT_LEASE_SECONDS until the block ends."""
    done = threading.Event()

    def beat() -> None:
        try:
            while not done.wait(settings.DOCUMENT_LEASE_SECONDS / 3):
                owned(tenant_id, token).update(lease_expires=lease_until())
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"switch-lease-{tenant_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None


def _audit(tenant: Tenant, by: Any, step: str, old: VectorStore | None, new: VectorStore | None) -> None:
    change = {"old": str(old or ""), "new": str(new or "")}
    audit.record(
        tenant, _user(by), audit.Action.SETTINGS_CHANGED, tenant.slug, embedding_model=change, step=step
    )
