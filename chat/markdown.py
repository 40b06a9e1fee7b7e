"""Answers as HTML: Markdown rendered with raw HTML disabled, then sanitized.

Two layers, because model output and document text are both untrusted: markdown-it-py never
passes HTML through (`html: False`), and nh3 (Ammonia) keeps only the tags and attributes below,
so neither a prompt-injected model nor a hostile PDF can put script or handlers in the page.
Citations like [2] become links to the answer's source list.
"""

import re
from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

CITATION = re.compile(r"\[(\d{1,3})\]")
TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer"


@cache
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.core.ruler.push("citations", link_citations)
    return md


def render_markdown(text: str, *, anchor: str = "", sources: int = 0) -> SafeString:
    """Sanitized HTML for `text`. With `anchor`, [n] for 1 <= n <= `sources` links to #<anchor>-n."""
    html = parser().render(text, {"anchor": anchor, "sources": sources})
    return mark_safe(  # noqa: S308 (nh3 has just removed everything not allowed)
        nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=LINK_REL)
    )


def link_citations(state: StateCore) -> None:
    anchor, count = state.env.get("anchor"), state.env.get("sources", 0)
    if not anchor or not count:
        return
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = cite_children(block.children, anchor, count)


def cite_children(children: list[Token], anchor: str, count: int) -> list[Token]:
    result: list[Token] = []
    depth = 0  # inside a link already: leave its text alone
    for token in children:
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        if token.type == "text" and not depth and CITATION.search(token.content):
            result.extend(split_citations(token.content, anchor, count))
        else:
            result.append(token)
    return result


def split_citations(text: str, anchor: str, count: int) -> list[Token]:
    tokens: list[Token] = []
    last = 0
    for match in CITATION.finditer(text):
        n = int(match.group(1))
        if not 1 <= n <= count:
            continue
        tokens.append(text_token(text[last : match.start()]))
        link = Token("link_open", "a", 1, attrs={"href": f"#{anchor}-{n}", "title": f"Source {n}"})
        tokens += [link, text_token(match.group(0)), Token("link_close", "a", -1)]
        last = match.end()
    tokens.append(text_token(text[last:]))
    return [t for t in tokens if t.type != "text" or t.content]


def text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
