from chat.tests.conftest import llm, no_common_words, private_cache  # noqa: F401  (the same fixtures)

# The browser test's ingested PDF and slow-streaming model, as the staff chat's browser test has them.
from chat.tests.test_browser_chat import fake_llm, handbook  # noqa: F401
