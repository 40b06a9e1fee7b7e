"""The prompt: instructions, recent turns and numbered sources, within MAX_CONTEXT_TOKENS."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from chat.models import Source
from chat.retrieval import Hit
from docuchat.lib.tokens import count_tokens

SYSTEM_PROMPT = """You are DocuChat. You answer questions about the documents of the user's workspace.
Answer only from the numbered sources given with the question. Cite the sources you use with their
numbers in square brackets, like [1] or [2][3], right after the statement they support.
If the sources do not contain the answer, say that the documents do not cover it. Never invent
facts, figures, quotations or citations. Write in Markdown, in the language of the question."""
WORKSPACE_HEADING = "Instructions from this workspace's administrators:"
# Per message, chat models add a few tokens of framing (role and separators), and the reply
# is primed with a few more: counted so that the budget holds.
TOKENS_PER_MESSAGE = 4
TOKENS_FOR_REPLY = 3
MAX_HISTORY_MESSAGES = 10


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


@dataclass
class Prompt:
    messages: list[dict[str, str]]
    sources: list[Source] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    tokens: int = 0

    @property
    def has_sources(self) -> bool:
        return bool(self.sources)


def message_tokens(content: str) -> int:
    return count_tokens(content) + TOKENS_PER_MESSAGE


def build_prompt(
    *, instructions: str, history: Sequence[Turn], question: str, hits: Sequence[Hit], budget: int
) -> Prompt:
    """Fit the prompt in `budget` tokens, counted with tiktoken.

    1. The system prompt, the workspace's instructions and the question always go in.
    2. Then sources, best first, while they fit (one that does not fit is skipped).
    3. Then the most recent turns, newest first, while they fit; they keep their order.
    """
    system = SYSTEM_PROMPT
    if instructions.strip():
        system += f"\n\n{WORKSPACE_HEADING}\n{instructions.strip()}"
    used = message_tokens(system) + message_tokens(question_block([], question)) + TOKENS_FOR_REPLY
    chosen: list[Hit] = []
    for hit in hits:
        cost = count_tokens(source_block(len(chosen) + 1, hit)) + 2
        if used + cost <= budget:
            chosen.append(hit)
            used += cost
    turns = recent_turns(history, budget - used)
    used += sum(message_tokens(t.content) for t in turns)
    messages = [{"role": "system", "content": system}]
    messages += [{"role": t.role, "content": t.content} for t in turns]
    messages.append({"role": "user", "content": question_block(chosen, question)})
    sources = [as_source(n, hit) for n, hit in enumerate(chosen, start=1)]
    return Prompt(messages=messages, sources=sources, hits=chosen, tokens=used)


def recent_turns(history: Sequence[Turn], budget: int) -> list[Turn]:
    kept: list[Turn] = []
    for turn in reversed(history[-MAX_HISTORY_MESSAGES:]):
        budget -= message_tokens(turn.content)
        if budget < 0:
            break
        kept.append(turn)
    return kept[::-1]


def source_block(n: int, hit: Hit) -> str:
    return f"[{n}] {hit.title} ({page_label(hit.page_start, hit.page_end)})\n{hit.text.strip()}"


def question_block(hits: Sequence[Hit], question: str) -> str:
    if not hits:
        return f"Question: {question}"
    sources = "\n\n".join(source_block(n, hit) for n, hit in enumerate(hits, start=1))
    return f"Sources:\n\n{sources}\n\nQuestion: {question}"


def page_label(start: int, end: int) -> str:
    return f"page {start}" if start == end else f"pages {start}\N{EN DASH}{end}"


def as_source(n: int, hit: Hit) -> Source:
    return Source(
        n=n,
        chunk=hit.chunk_id,
        document=hit.document_public_id,
        title=hit.title,
        page_start=hit.page_start,
        page_end=hit.page_end,
        snippet=hit.snippet,
        page=hit.page or hit.page_start,
    )
