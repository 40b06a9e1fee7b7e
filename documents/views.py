"""The Documents pages: list and upload, detail, download, re-index and delete."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from docuchat.lib.body_limit import allows_body, upload_limit
from documents import index as search_index_of
from documents import index_views, listing, live, pages, queueing, uploads
from documents.embeddings import OFFLINE_MODEL
from documents.forms import UploadForm
from documents.models import Document, VectorStore
from tenants import access, audit
from tenants.http import TenantRequest

FIRST_CHUNKS = 5


@allows_body(upload_limit)  # several PDFs in one request: MAX_UPLOAD_REQUEST_MB
@csrf_exempt  # the upload handler must be in place before anything reads the body; see _upload
@require_http_methods(["GET", "POST"])
def index(request: TenantRequest) -> HttpResponse:
    """GET: the Documents page, or only its rows for htmx. POST: upload one or more PDFs."""
    if request.method == "POST":
        request.upload_handlers.insert(0, uploads.SizeLimitHandler(request))
        return _upload(request)
    return _page(request)


@vary_on_headers("HX-Request", "HX-Target")
def _page(request: TenantRequest) -> HttpResponse:
    context = _list_context(request, request.GET)
    if request.htmx.target in FRAGMENTS:
        return render(request, FRAGMENTS[request.htmx.target], context)
    search_index = search_index_of.current(request.tenant)
    context = {**context, "form": UploadForm(), **_limits()}
    context.update(
        search_index=search_index,
        embedder=embedder_label(search_index.store),
        outdated_model=outdated_offline_model(search_index.store),
    )
    context["panels"] = index_views.panels(request, search_index)  # e.g. the latest evaluation
    return render(request, "documents/list.html", context)


# What a list page asks for by its HX-Target: the list with its pager, or only the rows.
FRAGMENTS = {"doc-list": "documents/list.html#list", "doc-rows": "documents/list.html#rows"}


@csrf_protect
def _upload(request: TenantRequest) -> HttpResponse:
    size_limit: uploads.SizeLimitHandler = request.upload_handlers[0]
    form = UploadForm(request.POST, request.FILES)
    outcomes = [uploads.too_large(name) for name in size_limit.too_large]
    if form.is_valid():
        files = form.cleaned_data["files"]
        outcomes += [
            _accept(request, f, facts) for f, facts in zip(files, size_limit.facts_for(files), strict=True)
        ]
    if any(outcome.ok for outcome in outcomes):
        live.push_list_changed(request.tenant)
    if request.htmx:
        # The list comes back as the page showed it (its search, filter, sort and page).
        context = {
            **_list_context(request, request.POST),
            "outcomes": outcomes,
            "form": form if not outcomes else None,
        }
        context["new_ids"] = {o.document.pk for o in outcomes if o.document is not None}
        return render(request, "documents/list.html#upload_response", context)
    _flash_outcomes(request, outcomes, form)
    return redirect("documents:list", tenant_slug=request.tenant.slug)


def _accept(request: TenantRequest, upload: Any, streamed: uploads.Streamed | None) -> uploads.Outcome:
    return uploads.accept(request.tenant, request.user, upload, streamed=streamed)


def _flash_outcomes(request: TenantRequest, outcomes: list[uploads.Outcome], form: UploadForm) -> None:
    for error in form.errors.get("files", []) if not outcomes else []:
        messages.error(request, error)
    for outcome in outcomes:
        if outcome.retried:
            messages.success(request, f"{outcome.name}: this file had failed; indexing it again.")
        elif outcome.ok:
            messages.success(request, f"{outcome.name}: uploaded, queued for indexing.")
        elif outcome.duplicate:
            url = _detail_url(outcome.duplicate)
            text = "{}: this workspace already has this file, as <a href='{}'>{}</a>."
            messages.warning(request, format_html(text, outcome.name, url, outcome.duplicate.title))
        else:
            messages.error(request, f"{outcome.name}: {outcome.error}")


@require_GET
def detail(request: TenantRequest, public_id: UUID) -> HttpResponse:
    document = access.get_document(request, public_id)
    chunks = document.chunks.filter(tenant=document.tenant_id).defer("search")  # one partition
    chunks = chunks.order_by("ordinal")[:FIRST_CHUNKS]
    context = {
        "doc": document,
        "chunks": chunks,
        "page_sources": pages.summary(document),
        "can_write": access.can_write_document(request, document),
    }
    return render(request, "documents/detail.html", context)


@require_GET
def download(request: TenantRequest, public_id: UUID) -> HttpResponseBase:
    document = access.get_document(request, public_id)
    if settings.STORAGE_SIGNED_URLS:
        # Checked above: only this workspace's people get the short-lived signed URL.
        return redirect(document.file.storage.url(document.file.name, parameters=_inline(document)))
    return FileResponse(
        document.file.open("rb"), content_type="application/pdf", filename=document.original_name
    )


def _inline(document: Document) -> dict[str, str]:
    """What the store's signed URL answers with: the PDF, shown in the browser, named as uploaded."""
    disposition = content_disposition_header(False, document.original_name or "document.pdf")
    return {"ResponseContentType": "application/pdf", "ResponseContentDisposition": disposition or "inline"}


@require_POST
def reindex(request: TenantRequest, public_id: UUID) -> HttpResponse:
    document = access.get_document(request, public_id, write=True)
    with transaction.atomic():
        queued = queueing.requeue([document], by=request.user)
        if queued:
            audit.record(
                request.tenant,
                request.user,
                audit.Action.DOCUMENT_REINDEXED,
                document.title,
                document=str(document.public_id),
            )
    if queued:
        live.push_state(document)
        notice, level = f"Re-indexing {document.title}.", "ok"
    else:
        notice, level = f"{document.title} is already queued or being indexed.", "warn"
    if request.htmx:
        document.can_write = True  # type: ignore[attr-defined]
        context = {"doc": document, "notice": notice, "level": level, "tenant": request.tenant}
        return render(request, "documents/list.html#row_response", context)
    (messages.success if queued else messages.warning)(request, notice)
    return _back(request, document)


@require_POST
def delete(request: TenantRequest, public_id: UUID) -> HttpResponse:
    document = access.get_document(request, public_id, write=True)
    title = document.title
    with transaction.atomic():
        document.delete()
        audit.record(
            request.tenant, request.user, audit.Action.DOCUMENT_DELETED, title, document=str(public_id)
        )
    live.push_list_changed(request.tenant)
    notice = f"Deleted {title}."
    if request.htmx and request.POST.get("next") != "detail":
        return render(request, "documents/list.html#notice", {"notice": notice, "level": "ok", "oob": True})
    messages.success(request, notice)
    return redirect("documents:list", tenant_slug=request.tenant.slug)


def _back(request: TenantRequest, document: Document) -> HttpResponse:
    if request.POST.get("next") == "detail":
        return redirect(_detail_url(document))
    return redirect("documents:list", tenant_slug=request.tenant.slug)


def _detail_url(document: Document) -> str:
    return reverse(
        "documents:detail", kwargs={"tenant_slug": document.tenant.slug, "public_id": document.public_id}
    )


def _list_context(request: TenantRequest, data: Any) -> dict[str, Any]:
    listed = listing.listing(request, data)
    return {"listing": listed, "documents": listed.page.object_list}


def _limits() -> dict[str, Any]:
    return {
        "max_mb": settings.MAX_FILE_SIZE_MB,
        "max_bytes": settings.MAX_FILE_SIZE_MB * uploads.MB,
        "max_pages": settings.MAX_PDF_PAGES,
    }


def embedder_label(store: VectorStore) -> str:
    """The workspace's embedding model and where it runs, in words for the Documents page."""
    spec = search_index_of.spec_of(store)
    if spec is None:
        return f"{store.model} (not available on this server now)"
    if spec.offline:
        return f"offline embeddings ({spec.name}, computed on this server)"
    if settings.OPENAI_BASE_URL:
        return f"{spec.name} on an OpenAI-compatible server"
    return f"OpenAI {spec.name}"


def outdated_offline_model(store: VectorStore) -> bool:
    """Indexed with the feature-hashing model, which only matches shared words: the page offers the
    semantic offline default instead (a switch re-embeds every document, in the background)."""
    return store.model == OFFLINE_MODEL
