"""Every page of the app, found from the URL patterns, with the data to open each one.

The responsive browser test opens each page this module finds. A new URL pattern is picked up
by itself; if it takes a parameter this module has no value for, `page_urls` fails and says which.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from api import keys as api_keys
from assistants.models import Assistant, InstructionBlock
from chat.models import ChatSession, Message, SavedAnswer
from docuchat.testing import Cast, make_cast
from documents.models import Document
from evaluation.models import EvalQuestion, EvalRun
from tenants import audit, invitations
from tenants.models import Membership, Tenant, create_tenant
from usage import metering
from usage.models import Quota

# Django's own admin is not our layout; the REST API answers JSON, not pages (docs/api.md), and its
# Swagger UI is a library's page.
SKIPPED_NAMESPACES = {"admin", "api-v1"}
# Pages drawn by a library rather than our templates (an API's interactive docs, say), by URL name,
# with the reason. Every other page must follow docs/ui.md.
THIRD_PARTY: dict[str, str] = {
    "v1-docs": "the v1 API's Swagger UI (django-ninja's page and assets)",
    "v1:openapi-view": "the v1 API's Swagger UI (django-ninja's page and assets)",
}
# What the website widget serves to other sites' visitors, with the reason it is not a page here.
EMBEDDED: dict[str, str] = {
    "widget:frame": "the widget's iframe, in other sites' pages (test_browser_widget.py opens it at 390 px)",
    "widget:pages": "a PDF of an answer's cited pages, from a link signed for one visitor",
}
LONG = "Annual_report_2026_final_version_approved_by_the_board_of_directors_and_the_auditors"
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass
class Seeded:
    cast: Cast
    values: dict[str, str]  # URL parameter name -> a value that opens a real page


def seed() -> Seeded:
    """A workspace with something on every page, including long words that could overflow."""
    cast = make_cast()
    acme = cast.acme
    long_name = create_tenant(
        name="Initech International Holdings Incorporated", slug="initech", owner=cast.other
    )
    Membership.objects.create(tenant=long_name, user=cast.owner, role=Membership.Role.MEMBER)
    cast.owner.display_name = "Olivia Owner-Of-Acme"
    cast.owner.save()
    ready = _document(acme, cast, f"{LONG}.pdf", Document.Status.READY)
    _document(
        acme,
        cast,
        "Broken scan.pdf",
        Document.Status.FAILED,
        error="No extractable text; OCR is not supported.",
    )
    _document(acme, cast, "Pump manual.pdf", Document.Status.PROCESSING)
    _document(acme, cast, "Waiting.pdf", Document.Status.QUEUED)
    chat = _chat(cast, ready)
    # A second assistant: the chat page then offers a choice of assistant.
    support = Assistant.objects.create(
        tenant=acme,
        name="Customer support assistant for the website",
        allowed_origins=[f"https://{LONG}.example"],
    )
    block = InstructionBlock.objects.create(assistant=support, text="Answer briefly. " + LONG)
    website = _website_conversation(support, ready)
    saved = SavedAnswer.objects.create(
        tenant=acme, saved_by=cast.owner, question=f"Summarise {LONG} please",
        answer=chat.messages.last().content, sources=chat.messages.last().sources,
    )  # fmt: skip
    api_keys.create(acme, cast.owner, f"Integration {LONG}", ["chat", "documents:read"], assistant=support)
    for i in range(3):
        metering.record(acme, cast.owner, metering.Kind.CHAT, "gpt-4o-mini", 1_234_567 * (i + 1), 45_678)
    metering.record(
        acme, None, metering.Kind.DOCUMENT_EMBEDDING, "text-embedding-3-small", 2_500_000, 0, document=ready
    )
    Quota.objects.create(tenant=acme, monthly_tokens=10_000_000, monthly_cost=Decimal("50"))
    audit.record(
        acme,
        cast.owner,
        audit.Action.SETTINGS_CHANGED,
        "acme",
        assistant_instructions={"old": "", "new": LONG * 3},
    )
    owner = Membership.objects.get(tenant=acme, user=cast.owner)
    tokens: list[str] = []
    invitations.invite(
        owner,
        "new.colleague.with.a.long.address@example-corporation.test",
        "admin",
        lambda t: tokens.append(t) or t,
    )
    question, run = _evaluation(acme, ready)
    values = {
        "tenant_slug": acme.slug,
        "question_id": str(question.public_id),
        "run_id": str(run.public_id),
        "public_id": str(ready.public_id),
        "session_id": str(chat.public_id),
        "message_id": str(chat.messages.last().public_id),
        "member_id": str(Membership.objects.get(tenant=acme, user=cast.member).public_id),
        "invitation_id": str(invitations.pending(acme).get().public_id),
        "month": timezone.now().strftime("%Y-%m"),
        "token": tokens[0],
        "assistant_id": str(support.public_id),
        "block_id": str(block.public_id),
        "conversation_id": str(website.public_id),
        "saved_id": str(saved.public_id),
        "file_id": str(ready.public_id),
        "rest": "no-such-address",
    }
    return Seeded(cast, values)


def _document(tenant: Tenant, cast: Cast, name: str, status: str, error: str = "") -> Document:
    document = Document.objects.create(
        tenant=tenant, uploaded_by=cast.owner, title=name.removesuffix(".pdf"),
        original_name=name, sha256=name.ljust(64, "0")[:64], size_bytes=123_456, page_count=40, status=status,
        error=error, pages_done=12 if status == Document.Status.PROCESSING else 0,
        chunks_total=80 if status == Document.Status.READY else 0,
    )  # fmt: skip
    document.file.save(f"{document.public_id}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return document


def _evaluation(tenant: Tenant, document: Document) -> tuple[EvalQuestion, EvalRun]:
    """A test question, and a finished run whose results name long titles."""
    question = EvalQuestion.objects.create(
        tenant=tenant, document=document, question=f"Where does {LONG} say revenue grew?", pages=[3, 4],
        label="paraphrase",
    )  # fmt: skip
    found = {
        "document": str(document.public_id), "title": document.title,
        "page_start": 3, "page_end": 4, "page": 3,
    }  # fmt: skip
    result = {
        "question": str(question.public_id), "text": question.question, "document": str(document.public_id),
        "title": document.title, "pages": [3, 4], "label": "paraphrase", "rank": 2, "found": [found, found],
    }  # fmt: skip
    run = EvalRun.objects.create(
        tenant=tenant, status=EvalRun.Status.DONE, questions_total=1, questions_done=1, hit_at_1=0.0,
        hit_at_k=1.0, mrr=0.5, results=[result], embedding_model="offline-hash:512",
        groups={"paraphrase": {"questions": 1, "hit_at_1": 0.0, "hit_at_k": 1.0, "mrr": 0.5, "k": 6}},
        started=timezone.now(), finished=timezone.now(),
    )  # fmt: skip
    return question, run


def _chat(cast: Cast, document: Document) -> ChatSession:
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.owner, title=f"What does {LONG} say?")
    Message.objects.create(session=chat, role=Message.Role.USER, content=f"Summarise {LONG} please")
    source = {"n": 1, "chunk": 1, "document": str(document.public_id), "title": LONG, "page_start": 3,
              "page_end": 4, "snippet": "Revenue grew in every quarter " + LONG}  # fmt: skip
    answer = (
        f"Revenue grew [1]. See https://example.com/{LONG}/{LONG}\n\n"
        "| Quarter | Revenue | Growth | Notes |\n|---|---|---|---|\n| Q1 | 1,000,000 | 4% | "
        + LONG
        + " |\n\n"
        "```\n" + "x = 1  # " + LONG * 2 + "\n```"
    )
    Message.objects.create(
        session=chat, role=Message.Role.ASSISTANT, content=answer, sources=[source],
        status=Message.Status.COMPLETE, created=timezone.now() + timedelta(seconds=1),
    )  # fmt: skip
    return chat


def _website_conversation(assistant: Assistant, document: Document) -> ChatSession:
    """A visitor's conversation (no member): one answer from the documents, one not covered."""
    chat = ChatSession.objects.create(tenant=assistant.tenant, assistant=assistant, title=f"Where is {LONG}?")
    source = {"n": 1, "chunk": 1, "document": str(document.public_id), "title": LONG, "page_start": 3,
              "page_end": 3, "snippet": "The office is on the third floor " + LONG}  # fmt: skip
    later = timezone.now()
    for i, (question, answer, sources) in enumerate(
        [
            (f"Where is {LONG}?", "On the third floor [1].", [source]),
            ("Do you ship to Mars?", "I could not find it.", []),
        ]
    ):
        Message.objects.create(
            session=chat, role=Message.Role.USER, content=question, created=later + timedelta(seconds=2 * i)
        )
        Message.objects.create(
            session=chat, role=Message.Role.ASSISTANT, content=answer, sources=sources,
            not_covered=not sources, feedback="down" if not sources else "up",
            created=later + timedelta(seconds=2 * i + 1),
        )  # fmt: skip
    return chat


def patterns() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern, as 'namespace:name' and the full route."""
    found: list[tuple[str, str]] = []

    def walk(items: list[Any], prefix: str, namespace: str) -> None:
        for item in items:
            if isinstance(item, URLResolver):
                inner = ":".join(filter(None, [namespace, item.namespace or ""]))
                if (item.namespace or "") not in SKIPPED_NAMESPACES:
                    walk(item.url_patterns, prefix + str(item.pattern), inner)
            elif isinstance(item, URLPattern):
                name = ":".join(filter(None, [namespace, item.name or ""]))
                if name not in THIRD_PARTY and name not in EMBEDDED:
                    found.append((name, prefix + str(item.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def page_urls(values: dict[str, str]) -> list[tuple[str, str]]:
    """(name, url) of every pattern, with its parameters filled from `values`."""
    urls = []
    for name, route in patterns():
        params = PARAM.findall(route)
        missing = [p for p in params if p not in values]
        assert not missing, (
            f"The URL pattern {name} ({route}) takes {missing}: add a value for it to "
            "docuchat/tests/every_page.py's seed(), so the responsive test can open the page."
        )
        assert name and not name.endswith(":"), f"The URL pattern {route} needs a name."
        urls.append((name, reverse(name, kwargs={p: values[p] for p in params})))
    return urls


@dataclass
class Page:
    name: str
    url: str  # where the browser ends up (after redirects)
    status: int


def html_pages(client: Client, urls: list[tuple[str, str]]) -> list[Page]:
    """The pages among `urls` for this client: answers to GET that are HTML (after redirects).

    POST-only URLs (405), files, CSV and JSON are not pages. Each final URL is listed once.
    """
    pages: dict[str, Page] = {}
    for _, url in urls:
        response = client.get(url, follow=True)
        response.close()
        if response.status_code == 405 or "text/html" not in response.get("Content-Type", ""):
            continue
        final = urlsplit(response.redirect_chain[-1][0] if response.redirect_chain else url).path
        pages.setdefault(final, Page(resolve(final).view_name, final, response.status_code))
    return list(pages.values())
