"""Runs again by itself after a re-index or an embedding-model switch, and shows the latest result
beside the search index (the Documents and Search index pages)."""

import logging
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string

from documents.models import Document, SearchIndex
from documents.pipeline import document_ready
from documents.switching import search_index_panels, switch_finished
from evaluation import runner
from evaluation.models import EvalQuestion, EvalRun
from tenants.models import Tenant
from tenants.permissions import can_run_evaluation

logger = logging.getLogger(__name__)


def start_automatic(tenant: Tenant, trigger: str) -> EvalRun | None:
    """A run after the index changed, when the tenant has questions and none is running already."""
    if not EvalQuestion.objects.filter(tenant=tenant).exists():
        return None
    try:
        return runner.start(tenant, trigger)
    except runner.RunRefused as exc:
        logger.info("No automatic evaluation for tenant %s: %s", tenant.pk, exc)
        return None


@receiver(document_ready, dispatch_uid="evaluation_after_reindex")
def after_reindex(sender: Any, document: Document, again: bool, **kwargs: Any) -> None:
    """Once the last of the re-indexed documents is ready (none queued or being indexed)."""
    if not again:
        return
    pending = Document.objects.filter(
        tenant_id=document.tenant_id, status__in=[Document.Status.QUEUED, Document.Status.PROCESSING]
    )
    if not pending.exists():
        start_automatic(document.tenant, EvalRun.Trigger.REINDEX)


@receiver(switch_finished, dispatch_uid="evaluation_after_switch")
def after_switch(sender: Any, index: SearchIndex, **kwargs: Any) -> None:
    start_automatic(index.tenant, EvalRun.Trigger.MODEL_SWITCH)


@receiver(search_index_panels, dispatch_uid="evaluation_panel")
def panel(sender: Any, index: SearchIndex, request: Any, **kwargs: Any) -> str | None:
    """The latest result, with a link to it, for the people who may run evaluations."""
    membership = getattr(request, "membership", None)
    if membership is None or not can_run_evaluation(membership):
        return None
    latest = EvalRun.objects.filter(tenant_id=index.tenant_id).order_by("-created", "-pk").first()
    done = runner.latest_done(index.tenant) if latest and latest.status != EvalRun.Status.DONE else latest
    context = {"latest": latest, "done": done, "tenant": index.tenant}
    return render_to_string("evaluation/panel.html", context, request=request)
