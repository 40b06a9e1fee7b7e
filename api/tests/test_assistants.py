import pytest

from api.tests.conftest import KeyClient, MakeKey
from assistants.models import Assistant
from chat.tests.factories import make_document
from docuchat.testing import Cast

pytestmark = pytest.mark.django_db
URL = "/api/v1/assistants"
JSON = "application/json"


@pytest.fixture
def client(cast: Cast, make_key: MakeKey) -> KeyClient:
    return KeyClient(make_key(cast.acme, ["assistants:write"]))


def test_it_creates_lists_changes_and_deletes_assistants(client: KeyClient, cast: Cast) -> None:
    handbook = make_document(cast.acme, "Handbook", ["text"])
    body = {
        "name": "Support",
        "instructions": "Be brief.\n\nCite pages.",
        "documents": [str(handbook.public_id)],
    }
    created = client.post(URL, body, content_type=JSON)
    assert created.status_code == 201, created.content
    made = created.json()
    assert made["instructions"] == "Be brief.\n\nCite pages." and made["documents"] == [
        str(handbook.public_id)
    ]
    assert made["all_documents"] is False and made["default"] is False
    assert [a["name"] for a in client.get(URL).json()] == ["Assistant", "Support"]
    changed = client.patch(
        f"{URL}/{made['id']}", {"name": "Helpdesk", "all_documents": True}, content_type=JSON
    )
    assert changed.json()["name"] == "Helpdesk" and changed.json()["all_documents"] is True
    assert changed.json()["instructions"] == "Be brief.\n\nCite pages."  # untouched
    assert client.delete(f"{URL}/{made['id']}").status_code == 204
    assert not Assistant.objects.filter(name="Helpdesk").exists()


def test_it_refuses_bad_assistants_with_a_message_naming_the_field(client: KeyClient, cast: Cast) -> None:
    theirs = make_document(cast.globex, "Plan", ["secret"])
    cases = [
        ({"name": "x", "model": "gpt-99"}, "unknown_model"),
        ({"name": "x", "documents": [str(theirs.public_id)]}, "unknown_document"),
        ({"name": "x", "allowed_origins": ["javascript:alert(1)"]}, "invalid_origin"),
        ({"name": "   "}, "invalid_request"),
    ]
    for body, code in cases:
        response = client.post(URL, body, content_type=JSON)
        assert response.status_code == 400 and response.json()["code"] == code, body
    assert client.post(URL, {"name": ""}, content_type=JSON).status_code == 422
    assert Assistant.objects.filter(tenant=cast.acme).count() == 1


def test_the_default_assistant_cannot_be_deleted(client: KeyClient, cast: Cast) -> None:
    default = Assistant.objects.get(tenant=cast.acme, is_default=True)
    response = client.delete(f"{URL}/{default.public_id}")
    assert response.status_code == 409 and response.json()["code"] == "default_assistant"


def test_another_workspaces_assistants_are_404(client: KeyClient, cast: Cast) -> None:
    theirs = Assistant.objects.get(tenant=cast.globex, is_default=True)
    assert client.get(f"{URL}/{theirs.public_id}").status_code == 404
    assert client.patch(f"{URL}/{theirs.public_id}", {"name": "x"}, content_type=JSON).status_code == 404
    assert client.delete(f"{URL}/{theirs.public_id}").status_code == 404
    assert str(theirs.public_id) not in client.get(URL).text
    assert Assistant.objects.get(pk=theirs.pk).name == theirs.name


def test_it_gives_the_embed_snippet_and_rotates_the_assistants_id(client: KeyClient, cast: Cast) -> None:
    made = client.post(URL, {"name": "Support"}, content_type=JSON).json()
    snippet = client.get(f"{URL}/{made['id']}/snippet").json()
    assert snippet["snippet"] == f'<script src="http://testserver/embed/{made["id"]}.js" async></script>'
    rotated = client.post(f"{URL}/{made['id']}/rotate").json()
    assert rotated["id"] != made["id"] and rotated["id"] in rotated["snippet"]
    assert client.get(f"{URL}/{made['id']}").status_code == 404
    assert client.get(f"{URL}/{rotated['id']}").json()["name"] == "Support"
    theirs = Assistant.objects.get(tenant=cast.globex, is_default=True)
    assert client.post(f"{URL}/{theirs.public_id}/rotate").status_code == 404
    assert client.get(f"{URL}/{theirs.public_id}/snippet").status_code == 404
    assert Assistant.objects.get(pk=theirs.pk).public_id == theirs.public_id
