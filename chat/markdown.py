"""Answers as HTML: Markdown rendered with raw HTML disabled, then sanitized.

Two layers, because model output and document text are both untrusted: markdown-it-py never
passes HTML through (`html: False`), and nh3 (Ammonia) keeps only the tags and attributes below,
so neither a prompt-injected model nor a hostile PDF can put script or handlers in the page.
Citations like [2] become links to the answer's source list; only the answer's own do: document
text quoted through `literal()` stays exactly as written (no emphasis, lists or links), and a
[1] that starts a line or follows a letter (console output, `x[1]`) is not a citation.
"""

import re
from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

CITATION = re.compile(r"\[(\d{1,3})\]")
# Everything Markdown could read as markup in a line of quoted text.
MARKUP = re.compile(r"([\\`*_\[\]<>&~|#+\-!=])")
ORDERED_ITEM = re.compile(r"^(\s*\d+)([.)])")
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
    # Before text_join: an escaped \\[1\\] is still a text_special token there, not a citation.
    md.core.ruler.before("text_join", "citations", link_citations)
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


def literal(text: str) -> str:
    """`text` escaped so that Markdown shows it exactly as written, on one line: for quoting."""
    line = " ".join(text.split())
    return ORDERED_ITEM.sub(r"\1\\\2", MARKUP.sub(r"\\\1", line))


def cite_children(children: list[Token], anchor: str, count: int) -> list[Token]:
    result: list[Token] = []
    depth = 0  # inside a link already: leave its text alone
    before = ""  # the character before this token on its line ("" at the start of a line)
    for token in children:
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        if token.type == "text" and not depth and CITATION.search(token.content):
            result.extend(split_citations(token.content, anchor, count, before))
        else:
            result.append(token)
        if token.type in ("softbreak", "hardbreak"):
            before = ""
        elif token.content:
            before = token.content[-1]
    return result


def is_citation(text: str, match: re.Match[str], before: str) -> bool:
    """A citation follows a statement: not at the start of a line, and not glued to a word (x[1])."""
    previous = text[match.start() - 1] if match.start() else before
    return previous != "" and not (previous.isalnum() or previous == "_")


def split_citations(text: str, anchor: str, count: int, before: str = " ") -> list[Token]:
    tokens: list[Token] = []
    last = 0
    for match in CITATION.finditer(text):
        n = int(match.group(1))
        if not 1 <= n <= count or not is_citation(text, match, before):
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
