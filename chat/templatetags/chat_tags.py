import logging

from django import template
from django.core.exceptions import SynchronousOnlyOperation
from django.utils.safestring import SafeString

from chat.markdown import render_markdown
from chat.models import Message, SavedAnswer
from chat.prompt import page_label
from documents.pages import ocr_marks

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag
def answer_html(message: Message) -> SafeString:
    """The answer as sanitized HTML, its [n] citations linked to its own source list."""
    return render_markdown(message.content, anchor=f"src-{message.public_id}", sources=len(message.sources))


@register.simple_tag
def pages(start: int, end: int) -> str:
    return page_label(start, end)


@register.simple_tag
def marked_sources(message: Message) -> list[dict[str, object]]:
    """The answer's sources, each with `ocr`: whether any of its pages was read by OCR (one query)."""
    spans = [(src["document"], src["page_start"], src["page_end"]) for src in message.sources]
    try:
        marks = ocr_marks(message.session.tenant_id, spans)
    except SynchronousOnlyOperation:  # rendered on an event loop: render it through sync_to_async
        log.warning("Sources rendered in an async context: shown without their OCR marks.")
        marks = [False] * len(spans)
    return [{**src, "ocr": mark} for src, mark in zip(message.sources, marks, strict=True)]


@register.simple_tag
def saved_answer_html(saved: SavedAnswer) -> SafeString:
    """A saved answer as sanitized HTML, its [n] citations linked to its own source list."""
    return render_markdown(saved.answer, anchor=f"src-{saved.public_id}", sources=len(saved.sources))
