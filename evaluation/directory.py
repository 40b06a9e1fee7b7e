"""The tenant-scoped access path to this app's rows: one helper per object type.

Views never query EvalQuestion or EvalRun themselves. Each helper takes the request (whose tenant
the middleware resolved) and raises 404 for anything of another tenant, exactly as for something
that does not exist. Who may use the page at all is checked by the views' `require` decorator.
"""

from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from documents.models import Document
from evaluation.models import EvalQuestion, EvalRun
from tenants.http import TenantRequest


def questions(request: TenantRequest) -> QuerySet[EvalQuestion]:
    """The tenant's questions, in the order they were added."""
    return (
        EvalQuestion.objects.filter(tenant=request.tenant)
        .select_related("document")
        .order_by("created", "pk")
    )


def get_question(request: TenantRequest, public_id: UUID) -> EvalQuestion:
    return get_object_or_404(questions(request), public_id=public_id)


def runs(request: TenantRequest) -> QuerySet[EvalRun]:
    """The tenant's runs, newest first."""
    return EvalRun.objects.filter(tenant=request.tenant).order_by("-created", "-pk")


def get_run(request: TenantRequest, public_id: UUID) -> EvalRun:
    return get_object_or_404(runs(request), public_id=public_id)


def documents(request: TenantRequest) -> QuerySet[Document]:
    """The documents a question may name: the tenant's, by title."""
    return Document.objects.filter(tenant=request.tenant).order_by("title", "pk")
