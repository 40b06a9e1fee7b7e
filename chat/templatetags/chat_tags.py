from django import template
from django.utils.safestring import SafeString

from chat.markdown import render_markdown
from chat.models import Message
from chat.prompt import page_label

register = template.Library()


@register.simple_tag
def answer_html(message: Message) -> SafeString:
    """The answer as sanitized HTML, its [n] citations linked to its own source list."""
    return render_markdown(message.content, anchor=f"src-{message.public_id}", sources=len(message.sources))


@register.simple_tag
def pages(start: int, end: int) -> str:
    return page_label(start, end)
