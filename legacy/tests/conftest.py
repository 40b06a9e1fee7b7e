# The chat tests' fixtures: a private cache per test (rate-limit counters), the fake model server;
# and the documents tests': files in the test's own folder, uploads queued but not indexed (the
# contract test indexes).
from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401
from documents.tests.conftest import media, tasks_not_run  # noqa: F401
