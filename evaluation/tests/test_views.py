"""The Evaluation page: owners and admins keep questions and run them; members get 403, another
workspace's people 404, and bad input a clear message with nothing half-written."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from docuchat.testing import Cast
from documents.models import Document
from evaluation import runner
from evaluation.models import EvalQuestion, EvalRun
from evaluation.tests.conftest import marker_question
from tenants.models import Membership

pytestmark = pytest.mark.django_db

PAGE = "/t/acme/evaluation/"


def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_it_adds_a_question_by_hand(client: Client, cast: Cast, pump: Document) -> None:
    signed_in(client, cast.owner)
    data = {
        "question": "  Where is   pagemarker0002? ",
        "document": pump.public_id,
        "pages": "2-3",
        "label": "phrase",
    }
    response = client.post(PAGE + "questions/", data, follow=True)
    assert response.status_code == 200
    assert "Question added." in response.content.decode()
    question = EvalQuestion.objects.get()
    assert (question.question, question.document, question.pages, question.label) == (
        "Where is pagemarker0002?",
        pump,
        [2, 3],
        "phrase",
    )
    assert question.tenant == cast.acme and question.created_by == cast.owner
    assert "Where is pagemarker0002?" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"question": "", "pages": "2"}, "Write the question."),
        ({"question": "Where?", "pages": ""}, "Give the page or pages with the answer."),
        ({"question": "Where?", "pages": "9"}, "Page 9 is past the end: the document has 5 pages."),
        ({"question": "Where?", "pages": "two"}, "is not a page number"),
    ],
)
def test_it_refuses_a_bad_question_saying_why(
    client: Client, cast: Cast, pump: Document, data: dict, message: str
) -> None:
    signed_in(client, cast.owner)
    response = client.post(PAGE + "questions/", {"document": pump.public_id, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not EvalQuestion.objects.exists()


def test_it_will_not_take_another_workspaces_document(client: Client, cast: Cast, pump: Document) -> None:
    from evaluation.tests.conftest import ready_document

    theirs = ready_document(cast, tenant="globex", name="Theirs.pdf")
    signed_in(client, cast.owner)
    data = {"question": "Where?", "document": theirs.public_id, "pages": "1"}
    response = client.post(PAGE + "questions/", data)
    assert response.status_code == 400
    assert "Choose one of the documents." in response.content.decode()
    assert not EvalQuestion.objects.exists()


def test_it_imports_a_file_or_lists_its_bad_lines_and_imports_nothing(
    client: Client, cast: Cast, pump: Document
) -> None:
    signed_in(client, cast.owner)
    good = {"question": "Where is pagemarker0001?", "document": pump.original_name, "pages": [1]}
    bad = {"question": "Where?", "document": "missing.pdf", "pages": [1]}
    body = "\n".join(json.dumps(x) for x in (good, bad)).encode()
    response = client.post(PAGE + "questions/import/", {"file": SimpleUploadedFile("set.jsonl", body)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported." in page and "Line 2: no document named &#x27;missing.pdf&#x27;" in page
    assert not EvalQuestion.objects.exists()

    csv = f"question,document,pages\nWhere is pagemarker0003?,{pump.title},3\n".encode()
    response = client.post(
        PAGE + "questions/import/", {"file": SimpleUploadedFile("set.csv", csv)}, follow=True
    )
    assert "Imported 1 question." in response.content.decode()
    assert list(EvalQuestion.objects.values_list("question", "pages")) == [("Where is pagemarker0003?", [3])]


def test_it_deletes_a_question(client: Client, cast: Cast, pump: Document) -> None:
    question = marker_question(pump, 1)
    signed_in(client, cast.owner)
    response = client.post(f"{PAGE}questions/{question.public_id}/delete/")
    assert response.status_code == 302
    assert not EvalQuestion.objects.exists()


def test_it_runs_in_the_background_and_shows_progress_then_the_scores(
    client: Client, cast: Cast, pump: Document
) -> None:
    marker_question(pump, 1)
    marker_question(pump, 4)
    signed_in(client, cast.owner)
    response = client.post(PAGE + "runs/")
    run = EvalRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{PAGE}runs/{run.public_id}/"
    assert (run.status, run.trigger, run.requested_by) == (EvalRun.Status.QUEUED, "manual", cast.owner)
    waiting = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="load delay:1s"' in waiting and "0 of 2 questions asked." in waiting
    assert "<html" not in waiting  # polling gets the fragment alone

    runner.execute(run.pk)  # what the worker's task does
    done = client.get(response["Location"]).content.decode()
    assert 'id="score-hit1">1.00<' in done and 'id="score-mrr">1.00<' in done
    assert "Where is pagemarker0004 mentioned?" in done and "This is the first finished run" in done
    assert "load delay" not in done
    # The Documents page and the Search index page link to it.
    for url in ("/t/acme/documents/", "/t/acme/documents/search-index/"):
        assert f"{PAGE}runs/{run.public_id}/" in client.get(url).content.decode()


def test_it_says_so_when_there_is_nothing_to_run(client: Client, cast: Cast) -> None:
    signed_in(client, cast.owner)
    response = client.post(PAGE + "runs/", follow=True)
    assert "Add some questions first" in response.content.decode()
    assert not EvalRun.objects.exists()


def test_it_lets_admins_in_and_keeps_members_out(client: Client, cast: Cast, pump: Document) -> None:
    question = marker_question(pump, 1)
    Membership.objects.filter(tenant=cast.acme, user=cast.member).update(role=Membership.Role.ADMIN)
    signed_in(client, cast.member)
    assert client.get(PAGE).status_code == 200
    Membership.objects.filter(tenant=cast.acme, user=cast.member).update(role=Membership.Role.MEMBER)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}questions/{question.public_id}/delete/").status_code == 403
    assert client.post(PAGE + "runs/").status_code == 403
    assert EvalQuestion.objects.exists() and not EvalRun.objects.exists()
    assert "Evaluation</a>" not in client.get("/t/acme/documents/").content.decode()


def test_it_gives_404_to_another_workspaces_people(client: Client, cast: Cast, pump: Document) -> None:
    question = marker_question(pump, 1)
    run = runner.start(cast.acme, enqueue=False)
    signed_in(client, cast.other)  # globex's owner
    assert client.get(PAGE).status_code == 404
    assert client.get(f"{PAGE}runs/{run.public_id}/").status_code == 404
    assert client.post(f"{PAGE}questions/{question.public_id}/delete/").status_code == 404
    assert client.post(PAGE + "runs/").status_code == 404
    # Nor through their own workspace's address.
    assert client.get(f"/t/globex/evaluation/runs/{run.public_id}/").status_code == 404
    assert client.post(f"/t/globex/evaluation/questions/{question.public_id}/delete/").status_code == 404
    assert EvalQuestion.objects.filter(pk=question.pk).exists()


def test_it_sends_anonymous_visitors_to_sign_in(client: Client, cast: Cast) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]
