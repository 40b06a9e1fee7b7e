"""The offline default embedder: WordLlama's bundled model, read without any network access."""

import os
import socket
import subprocess
import sys

import pytest

from documents import registry, wordllama
from documents.wordllama import WordLlamaEmbedder


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_it_is_the_offline_default_for_new_workspaces() -> None:
    spec = registry.default()
    assert (spec.name, spec.dimensions, spec.offline) == (wordllama.MODEL, wordllama.DIMENSIONS, True)
    assert "offline-hash-v1" in [s.name for s in registry.offline_models()]  # old installations keep it


def test_it_matches_meaning_not_only_shared_words() -> None:
    question, answer, unrelated = (
        WordLlamaEmbedder()
        .embed(
            [
                "How do I set up the program?",
                "To install the software, run the installer and follow its steps.",
                "The weather in Paris is sunny and warm today.",
            ]
        )
        .vectors
    )
    assert cosine(question, answer) > cosine(question, unrelated) + 0.2


@pytest.mark.parametrize(
    ("question", "answer", "unrelated"),
    [
        ("Как установить пакет?", "Чтобы установить пакет, выполните команду.", "Погода в Париже солнечная."),
        ("چگونه بسته را نصب کنم؟", "برای نصب بسته این دستور را اجرا کنید.", "هوا امروز در پاریس آفتابی است."),
    ],
)
def test_it_still_matches_words_of_other_scripts(question: str, answer: str, unrelated: str) -> None:
    q, a, u = WordLlamaEmbedder().embed([question, answer, unrelated]).vectors
    assert cosine(q, a) > cosine(q, u) + 0.2


def test_it_returns_unit_vectors_of_its_dimension_and_counts_tokens() -> None:
    result = WordLlamaEmbedder().embed(["one text", "", "!!!"])
    assert result.model == wordllama.MODEL and result.tokens > 0
    assert all(len(v) == wordllama.DIMENSIONS for v in result.vectors)
    assert abs(cosine(result.vectors[0], result.vectors[0]) - 1) < 1e-5


def test_it_loads_and_embeds_with_the_network_cut_off() -> None:
    """In a fresh interpreter where opening any socket fails, the model loads from the package's files."""
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network access attempted')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
        "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'docuchat.settings')\n"
        "django.setup()\n"
        "from documents.wordllama import WordLlamaEmbedder\n"
        "print(len(WordLlamaEmbedder().embed(['offline text']).vectors[0]))\n"
    )
    env_home = {"HF_HUB_OFFLINE": "0", "HOME": "/nonexistent"}  # nothing cached to fall back on
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **env_home},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith(str(wordllama.DIMENSIONS))
    assert socket.socket.connect is not None  # this process was left alone


def test_it_says_what_to_do_when_the_package_files_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wordllama.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(wordllama.ModelFilesMissing, match="not installed"):
        wordllama.package_folder()
