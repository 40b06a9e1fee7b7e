"""What the widget shows of a conversation, as JSON: messages, rendered answers and sources.

Answers are rendered on the server (Markdown with HTML off, then sanitized: chat/markdown.py);
everything else goes out as plain text that the widget's script inserts as text, never as markup.
Sources link to their pages only when the assistant lets visitors open them, through a signed,
expiring address that names the assistant, the document and the pages (views.pages).
"""

import uuid
from typing import Any

from django.core import signing
from django.urls import reverse

from assistants.models import Assistant
from chat.markdown import render_markdown
from chat.models import ChatSession, Message, Source, cited_page

PAGE_SALT = "widget.pages"
PAGE_LINK_SECONDS = 24 * 3600
HISTORY = 100  # messages shown again on reload


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def pages_label(source: Source) -> str:
    """The page a source cites, as the staff chat shows it."""
    return f"page {cited_page(source)}"


def page_link(assistant: Assistant, origin: str, source: Source) -> str:
    signed = signing.dumps(
        {"a": str(assistant.public_id), "o": origin, "d": source["document"],
         "s": source["page_start"], "e": source["page_end"]},
        salt=PAGE_SALT, compress=True,
    )  # fmt: skip
    return reverse("widget:pages", kwargs={"assistant_id": assistant.public_id, "signed": signed})


def read_page_link(signed: str) -> dict[str, Any] | None:
    try:
        data = signing.loads(signed, salt=PAGE_SALT, max_age=PAGE_LINK_SECONDS)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


def sources(assistant: Assistant, origin: str, message: Message) -> list[dict[str, Any]]:
    shown = []
    for source in message.sources or []:
        item = {
            "n": source["n"],
            "title": source["title"],
            "pages": pages_label(source),
            "snippet": source["snippet"],
        }
        if assistant.visitors_open_pages:
            # The extract holds the source's pages; it opens at the cited one.
            at = cited_page(source) - source["page_start"] + 1
            item["url"] = f"{page_link(assistant, origin, source)}#page={at}"
        shown.append(item)
    return shown


def answer(assistant: Assistant, origin: str, message: Message | None) -> dict[str, Any] | None:
    if message is None:
        return None
    anchor = f"src-{message.public_id}"
    count = len(message.sources or [])
    return {
        "id": str(message.public_id),
        "role": "assistant",
        "status": message.status,
        "html": str(render_markdown(message.content, anchor=anchor, sources=count)),
        "error": message.error if message.status == Message.Status.FAILED else "",
        "sources": sources(assistant, origin, message),
        "feedback": message.feedback,
    }


def history(assistant: Assistant, origin: str, session: ChatSession) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for message in reversed(session.messages.order_by("-created", "-id")[:HISTORY]):
        if message.is_assistant:
            shown.append(answer(assistant, origin, message) or {})
        else:
            shown.append({"id": str(message.public_id), "role": "user", "text": message.content})
    return shown
