"""The HTML the chat socket sends: out-of-band fragments for the htmx WebSocket extension.

Every top-level element has an id or an hx-swap-oob target, so htmx knows where it goes.
Streamed text is escaped here; finished answers are rendered by the template (sanitized Markdown).
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape

from chat.models import ChatSession, Message
from chat.service import MAX_QUESTION_CHARS

TEMPLATE = "chat/index.html"


def partial(name: str, **context: Any) -> str:
    return render_to_string(f"{TEMPLATE}#{name}", context)


def oob(swap: str, inner: str) -> str:
    """A wrapper whose *content* htmx inserts with `swap` (e.g. 'beforeend:#messages')."""
    return f'<div hx-swap-oob="{swap}">{inner}</div>'


def delete(element_id: str) -> str:
    return f'<div id="{element_id}" hx-swap-oob="delete"></div>'


def delta(answer: Message, text: str) -> str:
    """A piece of the answer as it streams: plain text appended to the answer's body."""
    return f'<span hx-swap-oob="beforeend:#body-{answer.public_id}">{escape(text)}</span>'


def alert(text: str) -> str:
    inner = f'<p class="alert alert-error">{escape(text)}</p>'
    return f'<div id="chat-alert" class="chat-alert" role="alert" hx-swap-oob="true">{inner}</div>'


def clear_alert() -> str:
    return '<div id="chat-alert" class="chat-alert" role="alert" hx-swap-oob="true"></div>'


def composer_actions(*, streaming: bool) -> str:
    return with_oob(partial("composer_actions", streaming=streaming))


def with_oob(html: str) -> str:
    """Mark a rendered element (it has an id) to replace its namesake in the page."""
    html = html.strip()
    tag_end = html.index(">")
    return html[:tag_end] + ' hx-swap-oob="true"' + html[tag_end:]


def session_to_top(session: ChatSession, tenant: Any, *, new: bool) -> str:
    item = oob("afterbegin:#session-list", partial("session_item", s=session, session=session, tenant=tenant))
    return item if new else delete(f"session-{session.public_id}") + item


def started(
    tenant: Any,
    session: ChatSession,
    question: Message | None,
    answer: Message,
    *,
    new_session: bool,
    replaced: str,
) -> str:
    """Everything that changes when a question is accepted, before the first token."""
    parts = [
        clear_alert(),
        session_to_top(session, tenant, new=new_session),
        composer_actions(streaming=True),
    ]
    if new_session:
        parts += [
            delete("chat-empty"),
            with_oob(partial("session_field", session=session, tenant=tenant)),
            with_oob(partial("head", session=session, tenant=tenant)),
        ]
    if replaced:
        parts.append(delete(f"msg-{replaced}"))
    added = [partial("message", m=m, tenant=tenant) for m in (question, answer) if m is not None]
    parts.append(oob("beforeend:#messages", "".join(added)))
    if question is not None:
        parts.append(with_oob(partial("input", max_chars=MAX_QUESTION_CHARS)))
    return "".join(parts)


def finished(tenant: Any, answer: Message) -> str:
    """The answer's final form (rendered Markdown, sources, actions) and the Send button back."""
    return with_oob(partial("message", m=answer, tenant=tenant)) + composer_actions(streaming=False)
