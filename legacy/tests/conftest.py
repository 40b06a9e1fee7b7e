# The chat tests' fixtures: a private cache per test (rate-limit counters), the fake model server.
from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401
