"""Neither model output nor document text can put HTML or script into the page."""

import json
import re
from html.parser import HTMLParser

import pytest
from asgiref.sync import async_to_sync

from chat.markdown import render_markdown
from chat.tests.factories import make_document
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.ws import communicator, receive_until, signed_in
from docuchat.testing import Cast

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](https://evil.example/track.png)",
    '<svg onload="alert(1)"></svg>',
    "<iframe src=https://evil.example></iframe>",
    "```html\n<script>alert(1)</script>\n```",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    "[x](jAvAsCrIpT:alert(1))",
    '"><script>alert(1)</script>',
]
BAD_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "style", "link", "meta", "base"}


class Elements(HTMLParser):
    """What a browser would build from the HTML: the elements and attributes (text is harmless)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BAD_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            url = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if (
                name.startswith("on")
                or name == "style"
                or url.startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.found.append(f"{tag}[{name}={value}]")


def unsafe(html: str) -> list[str]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_renders_model_output_without_markup_or_script(payload: str) -> None:
    html = render_markdown(f"Here you go: {payload} [1]", anchor="src-x", sources=1)
    assert unsafe(html) == [], html


def test_it_keeps_harmless_markdown() -> None:
    html = render_markdown(
        "**bold** and `code` and [a link](https://example.com) [1]", anchor="src-x", sources=1
    )
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">a link</a>' in html
    assert '<a href="#src-x-1" title="Source 1" rel="noopener noreferrer">[1]</a>' in html


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_a_hostile_document_or_model_inject_into_the_chat(cast: Cast, llm: FakeLLM) -> None:
    hostile = " ".join(PAYLOADS)
    make_document(cast.acme, '<b onmouseover="alert(1)">Handbook</b>', [f"Refund policy: 30 days. {hostile}"])
    llm.script(Reply(tokens=["Refunds: 30 days [1]. ", *PAYLOADS]))
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(
            text_data=json.dumps({"action": "ask", "message": "refund policy <script>x</script>"})
        )
        frames = await receive_until(ws)
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    for frame in frames:  # streamed pieces, the question echoed, the final answer, sources, snippets
        assert unsafe(frame) == [], frame
    assert "&lt;script&gt;" in "".join(frames)  # shown as text, not dropped silently
    assert "&lt;b onmouseover=" in frames[-1]  # the hostile title, escaped in the sources list


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_a_hostile_document_inject_into_an_offline_answer(cast: Cast, settings) -> None:
    settings.OPENAI_API_KEY = ""
    make_document(cast.acme, "Handbook", [f"Refund policy: returns within 30 days. {' '.join(PAYLOADS)}"])
    headers = signed_in(cast.member)

    async def scenario() -> list[str]:
        ws = communicator(headers)
        await ws.connect()
        await ws.send_to(text_data=json.dumps({"action": "ask", "message": "What is the refund policy?"}))
        frames = await receive_until(ws)
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()

    assert "No language model is configured" in frames[-1]
    for frame in frames:
        assert unsafe(frame) == [], frame


def test_it_shows_quoted_document_text_exactly_and_links_only_the_answers_citations() -> None:
    from chat.markdown import literal

    quoted = literal("+ [1] FALSE x[2] _MY_ENV_VAR_ wait.... *not bold*")
    html = str(render_markdown(f"> {quoted} [1]\n\nA claim.[2] and x[1] here", anchor="a", sources=2))
    assert "+ [1] FALSE x[2] _MY_ENV_VAR_ wait.... *not bold*" in html
    assert "<li>" not in html and "<em>" not in html and "<strong>" not in html
    assert html.count('href="#a-1"') == 1 and html.count('href="#a-2"') == 1  # the answer's own two
