import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from docuchat.testing import Cast
from documents.models import Document
from evaluation.models import EvalRun
from evaluation.tests.conftest import marker_question

pytestmark = pytest.mark.django_db


def evaluate(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def test_it_scores_the_stored_questions_and_records_the_run(pump: Document) -> None:
    marker_question(pump, 1, label="phrase")
    marker_question(pump, 3, label="phrase")
    out = evaluate("acme")
    run = EvalRun.objects.get()
    assert run.status == EvalRun.Status.DONE and run.hit_at_1 == 1.0
    assert "acme: 2 questions, embedding model" in out
    assert "  all                  2   1.000   1.000   1.000" in out
    assert f"Recorded as run {run.public_id}." in out


def test_it_scores_a_file_of_questions_as_json_without_recording(pump: Document, tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    lines = [
        {
            "question": "Where is pagemarker0002 mentioned?",
            "document": pump.original_name,
            "pages": [2],
            "kind": "a",
        },
        {"question": "Where is pagemarker0005 mentioned?", "document": pump.title, "pages": [5], "kind": "b"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    report = json.loads(evaluate("acme", "--questions", str(path), "--json"))
    assert report["scores"] == {"questions": 2, "hit_at_1": 1.0, "hit_at_k": 1.0, "mrr": 1.0, "k": 6}
    assert set(report["groups"]) == {"a", "b"}
    assert [r["rank"] for r in report["results"]] == [1, 1]
    assert report["run"] is None and not EvalRun.objects.exists()


def test_it_says_what_is_wrong(cast: Cast, pump: Document, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Add some questions first"):
        evaluate("acme")
    path = tmp_path / "set.csv"
    path.write_text("question,document,pages\nWhere?,Nope.pdf,1\n")
    with pytest.raises(CommandError, match=r"Line 2: no document named 'Nope\.pdf' in this workspace\."):
        evaluate("acme", "--questions", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        evaluate("acme", "--questions", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError):
        evaluate("nosuch")


def test_it_never_reads_another_workspaces_documents(cast: Cast, pump: Document, tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(f"question,document,pages\nWhere?,{pump.original_name},1\n")
    with pytest.raises(CommandError, match="no document named"):
        evaluate("globex", "--questions", str(path))
