"""The Assistants page (owners and admins): list, create, edit and delete assistants, and manage
each one's instruction blocks. Every change is audit-logged through assistants/editing.py."""

from urllib.parse import urlsplit
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assistants import editing
from assistants.forms import AssistantForm, BlockForm
from assistants.models import Assistant
from tenants.access import assistants, get_assistant, get_instruction_block
from tenants.http import TenantRequest
from tenants.permissions import MANAGERS_ONLY, can_manage_assistants, require
from tenants.views.helpers import is_fragment

manager = require(can_manage_assistants, MANAGERS_ONLY)


LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def snippet(request: TenantRequest, assistant: Assistant) -> str:
    """The one line a website pastes to embed the assistant, on this server's host: over https,
    unless this server is a local one browsed over plain http (`./dev run`), which has no https."""
    host = request.get_host()
    local = not request.is_secure() and urlsplit(f"//{host}").hostname in LOOPBACK
    src = f"{'http' if local else 'https'}://{host}/embed/{assistant.public_id}.js"
    return f'<script src="{src}" async></script>'


@require_GET
@manager
def index(request: TenantRequest) -> HttpResponse:
    listed = assistants(request).prefetch_related("instruction_blocks")
    return render(request, "assistants/list.html", {"assistants": listed})


@require_http_methods(["GET", "POST"])
@manager
def create(request: TenantRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None  # an empty POST is still a POST
    form = AssistantForm(data, tenant=request.tenant, instance=Assistant(tenant=request.tenant))
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "assistants/create.html", {"form": form}, status=400)
        with_documents = form.cleaned_data.pop("documents", None)
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}
        assistant = editing.create(request.tenant, request.user, documents=with_documents, **fields)
        messages.success(request, f"Assistant “{assistant.name}” created. Add its instructions below.")
        return redirect("assistants:edit", tenant_slug=request.tenant.slug, assistant_id=assistant.public_id)
    return render(request, "assistants/create.html", {"form": form})


def _edit_page(
    request: TenantRequest, assistant: Assistant, form: AssistantForm, *, status: int = 200, **extra: object
) -> HttpResponse:
    context = {
        "assistant": assistant,
        "form": form,
        "blocks": assistant.instruction_blocks.all(),
        "block_form": extra.pop("block_form", None) or BlockForm(),
        "snippet": snippet(request, assistant),
        **extra,
    }
    return render(request, "assistants/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manager
def edit(request: TenantRequest, assistant_id: UUID) -> HttpResponse:
    assistant = get_assistant(request, assistant_id, write=True)
    data = request.POST if request.method == "POST" else None
    form = AssistantForm(data, tenant=request.tenant, instance=assistant)
    if request.method == "GET":
        return _edit_page(request, assistant, form)
    if not form.is_valid():
        assistant.refresh_from_db()  # the page's header shows the saved name, not the refused one
        return _edit_page(request, assistant, form, status=400)
    changes = form.changes()
    if changes:
        with transaction.atomic():
            form.save()
            editing.changed(assistant, request.user, fields=", ".join(changes))
        messages.success(request, f"“{assistant.name}” saved.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect("assistants:edit", tenant_slug=request.tenant.slug, assistant_id=assistant.public_id)


@require_POST
@manager
def delete(request: TenantRequest, assistant_id: UUID) -> HttpResponse:
    assistant = get_assistant(request, assistant_id, write=True)
    try:
        editing.delete(assistant, request.user)
    except editing.EditError as exc:
        messages.error(request, str(exc))
        form = AssistantForm(tenant=request.tenant, instance=assistant)
        return _edit_page(request, assistant, form, status=409, delete_error=str(exc))
    messages.success(request, f"Assistant “{assistant.name}” deleted. Its conversations are kept.")
    return redirect("assistants:index", tenant_slug=request.tenant.slug)


# Instruction blocks: each action answers with the blocks' panel (htmx), or the edit page again.


def _blocks(
    request: TenantRequest, assistant: Assistant, *, status: int = 200, **extra: object
) -> HttpResponse:
    if not is_fragment(request):
        if status >= 400:
            form = AssistantForm(tenant=request.tenant, instance=assistant)
            return _edit_page(request, assistant, form, status=status, **extra)
        url = reverse(
            "assistants:edit",
            kwargs={"tenant_slug": request.tenant.slug, "assistant_id": assistant.public_id},
        )
        return redirect(url + "#blocks")
    context = {
        "assistant": assistant,
        "blocks": assistant.instruction_blocks.all(),
        "block_form": extra.pop("block_form", None) or BlockForm(),
        **extra,
    }
    return render(request, "assistants/edit.html#blocks", context, status=status)


@require_POST
@manager
def add_block(request: TenantRequest, assistant_id: UUID) -> HttpResponse:
    assistant = get_assistant(request, assistant_id, write=True)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _blocks(request, assistant, status=400, block_form=form)
    try:
        editing.add_block(assistant, request.user, form.cleaned_data["text"])
    except editing.EditError as exc:
        form.add_error("text", str(exc))
        return _blocks(request, assistant, status=409, block_form=form)
    return _blocks(request, assistant, notice="Instruction added.")


@require_POST
@manager
def edit_block(request: TenantRequest, block_id: UUID) -> HttpResponse:
    block = get_instruction_block(request, block_id)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _blocks(request, block.assistant, status=400, block_errors={block.pk: form.errors["text"]})
    editing.edit_block(block, request.user, form.cleaned_data["text"])
    return _blocks(request, block.assistant, notice="Instruction saved.")


@require_POST
@manager
def toggle_block(request: TenantRequest, block_id: UUID) -> HttpResponse:
    block = get_instruction_block(request, block_id)
    try:
        editing.toggle_block(block, request.user)
    except editing.EditError as exc:
        return _blocks(request, block.assistant, status=409, error=str(exc))
    state = "on" if block.enabled else "off"
    return _blocks(request, block.assistant, notice=f"Instruction switched {state}.")


@require_POST
@manager
def move_block(request: TenantRequest, block_id: UUID) -> HttpResponse:
    block = get_instruction_block(request, block_id)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return _blocks(request, block.assistant, status=400, error="Move a block “up” or “down”.")
    try:
        editing.move_block(block, request.user, direction)
    except editing.EditError as exc:
        return _blocks(request, block.assistant, status=409, error=str(exc))
    return _blocks(request, block.assistant)


@require_POST
@manager
def delete_block(request: TenantRequest, block_id: UUID) -> HttpResponse:
    block = get_instruction_block(request, block_id)
    editing.delete_block(block, request.user)
    return _blocks(request, block.assistant, notice="Instruction deleted.")
