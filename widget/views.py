"""The widget's HTTP side: the embed script, the iframe page, and the cited pages for visitors.

None of these reads or sets a cookie: a visitor is known by the token its widget keeps, which
travels only over the widget's socket (consumers.py).
"""

import hashlib
import io
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from assistants.models import Assistant
from chat.service import tenant_documents
from widget import embedding, present

log = logging.getLogger(__name__)
SCRIPT = Path(__file__).parent / "embed.js"
SCRIPT_VERSION = "1"
# The snippet's address never changes, so the script cannot be immutable: browsers and proxies
# keep it an hour, then revalidate with its ETag (a 304 without a body), and may serve the old
# one for a day meanwhile. A change of look therefore reaches visitors within about an hour;
# switching the widget off or removing a site takes effect at once (the iframe and socket refuse).
SCRIPT_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
MAX_PAGES = 10
ACCENT_DEFAULT = "#2563eb"


@cache
def script_source() -> str:
    return SCRIPT.read_text()


def accent(value: str) -> str:
    ok = len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    return value if ok else ACCENT_DEFAULT


def script_config(request: HttpRequest, assistant: Assistant) -> dict[str, Any]:
    return {
        "v": SCRIPT_VERSION,
        "id": str(assistant.public_id),
        "host": f"{request.scheme}://{request.get_host()}",
        "frame": reverse("widget:frame", kwargs={"assistant_id": assistant.public_id}),
        "title": assistant.widget_title,
        "accent": accent(assistant.accent_color),
        "position": assistant.position,
        "theme": assistant.theme,
    }


@require_GET
def embed_script(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """`<script src=".../embed/<id>.js" async>`: a bubble (or, with data-docuchat-inline, a frame
    filling an element) that opens the assistant in an iframe. No dependencies."""
    assistant = embedding.find_assistant(assistant_id)
    if assistant is None:
        raise Http404("No such assistant.")
    config = json.dumps(script_config(request, assistant)).replace("<", "\\u003c")
    body = (
        script_source().replace("__DOCUCHAT_CONFIG__", config)
        if assistant.widget_live
        else ("/* DocuChat: this assistant's website widget is switched off. */\n")
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = SCRIPT_CACHE
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def refused(request: HttpRequest, status: int, reason: str) -> HttpResponse:
    response = render(request, "widget/refused.html", {"reason": reason}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def embedded_by(request: HttpRequest, claimed: str) -> bool:
    """The request looks like an iframe of a page on `claimed`: a browser saying otherwise (a
    top-level visit, a referrer on another site) is refused. frame-ancestors is the real check."""
    dest = request.headers.get("Sec-Fetch-Dest")
    if dest and dest != "iframe":
        return False
    referer = request.headers.get("Referer")
    return not referer or embedding.normalize_origin(_origin_of(referer)) == claimed


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_config(assistant: Assistant, origin: str, *, inline: bool) -> dict[str, Any]:
    """What the iframe's script needs (json_script): never the visitor, whom the host page keeps."""
    return {
        "assistant": str(assistant.public_id),
        "socket": f"/ws/widget/{assistant.public_id}/",
        "embed": embedding.embed_token(assistant, origin),
        "origin": origin,
        "inline": inline,
        "title": assistant.widget_title,
        "greeting": assistant.greeting,
        "suggestions": [s for s in assistant.suggestions or [] if isinstance(s, str)][:4],
        "accent": accent(assistant.accent_color),
        "theme": assistant.theme,
        "openPages": assistant.visitors_open_pages,
    }


@xframe_options_exempt
@require_GET
def frame(request: HttpRequest, assistant_id: str) -> HttpResponse:
    """The iframe: shown only inside a page of an allowed origin (frame-ancestors says which)."""
    assistant = embedding.find_assistant(assistant_id)
    if assistant is None:
        raise Http404("No such assistant.")
    origin = embedding.normalize_origin(request.GET.get("origin", ""))
    if not embedding.allows(assistant, origin) or not embedded_by(request, origin):
        return refused(request, 403, "This chat is not available on this site.")
    config = frame_config(assistant, origin, inline=request.GET.get("mode") == "inline")
    response = render(request, "widget/frame.html", {"config": config, "assistant": assistant})
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [origin]}  # type: ignore[attr-defined]
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def pages(request: HttpRequest, assistant_id: str, signed: str) -> HttpResponse:
    """The cited pages of a document, as a PDF of those pages only: for visitors of an assistant
    that lets them open pages, from a link its widget gave them (signed, expiring)."""
    link = present.read_page_link(signed)
    if link is None or link.get("a") != str(assistant_id):
        raise Http404("This link has expired. Ask the question again for a fresh one.")
    assistant = embedding.live_assistant(assistant_id, str(link.get("o", "")))
    if assistant is None or not assistant.visitors_open_pages:
        raise Http404("These pages are not available.")
    key = present.parse_uuid(str(link.get("d", "")))
    document = tenant_documents(assistant.tenant, assistant.config()).filter(public_id=key).first()
    start, end = link.get("s"), link.get("e")
    if document is None or not isinstance(start, int) or not isinstance(end, int):
        raise Http404("These pages are not available.")
    data = extract_pages(document, start, min(end, start + MAX_PAGES - 1))
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{document.title[:80]} p{start}.pdf".replace('"', "")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


def extract_pages(document: Any, start: int, end: int) -> bytes:
    """A new PDF holding pages start..end (1-based) of the document, and nothing else of it."""
    import pypdfium2 as pdfium

    try:
        with document.file.open("rb") as stored:
            source = pdfium.PdfDocument(stored.read())
    except (OSError, pdfium.PdfiumError):
        log.warning("The stored PDF of document %s could not be opened for a visitor", document.pk)
        raise Http404("These pages cannot be opened.") from None
    try:
        last = min(end, len(source))
        if start < 1 or start > last:
            raise Http404("These pages are not available.")
        extract = pdfium.PdfDocument.new()
        extract.import_pages(source, list(range(start - 1, last)))
        out = io.BytesIO()
        extract.save(out)
        extract.close()
        return out.getvalue()
    finally:
        source.close()
