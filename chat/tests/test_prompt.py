from chat.prompt import SYSTEM_PROMPT, Turn, build_prompt
from chat.retrieval import Hit
from docuchat.lib.tokens import count_tokens


def hit(n: int, words: int = 300) -> Hit:
    text = " ".join(f"fact{n}-{i}" for i in range(words))
    return Hit(n, 1, "doc-id", f"Doc {n}", text, n, n + 1, count_tokens(text), 1 / (60 + n), 0.3, text[:50])


def total(prompt) -> int:
    return sum(count_tokens(m["content"]) + 4 for m in prompt.messages) + 3


def test_it_numbers_the_sources_and_keeps_instructions_and_question() -> None:
    prompt = build_prompt(
        instructions="Answer like a pirate.",
        history=[],
        question="Where?",
        hits=[hit(1), hit(2)],
        budget=8000,
    )
    system, user = prompt.messages[0]["content"], prompt.messages[-1]["content"]
    assert system.startswith(SYSTEM_PROMPT) and system.endswith("Answer like a pirate.")
    assert (
        user.startswith("Sources:\n\n[1] Doc 1 (pages 1\N{EN DASH}2)\nfact1-0")
        and "\n\n[2] Doc 2 (pages 2\N{EN DASH}3)\n" in user
    )
    assert user.endswith("Question: Where?")
    assert [s["n"] for s in prompt.sources] == [1, 2] and prompt.sources[1]["title"] == "Doc 2"


def test_it_fits_sources_and_recent_turns_in_the_token_budget() -> None:
    history = [Turn("user" if i % 2 == 0 else "assistant", f"turn {i} " + "blah " * 150) for i in range(10)]
    hits = [hit(n) for n in range(1, 7)]  # about 1,500 tokens each

    prompt = build_prompt(
        instructions="Be brief. " * 100, history=history, question="Why?", hits=hits, budget=4000
    )

    assert total(prompt) <= 4000 and prompt.tokens == total(prompt)
    assert 1 <= len(prompt.sources) < 6  # the best sources first, as many as fit
    assert [s["n"] for s in prompt.sources] == list(range(1, len(prompt.sources) + 1))
    kept = [m["content"] for m in prompt.messages[1:-1]]
    assert kept == [t.content for t in history[-len(kept) :]]  # the most recent turns, in order


def test_it_sends_no_sources_when_none_fit_or_none_were_found() -> None:
    prompt = build_prompt(
        instructions="", history=[], question="Why?", hits=[hit(1, words=5000)], budget=2000
    )
    assert not prompt.has_sources and prompt.messages[-1]["content"] == "Question: Why?"
    assert not build_prompt(instructions="", history=[], question="Why?", hits=[], budget=8000).has_sources
