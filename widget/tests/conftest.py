from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401  (the same fixtures)
