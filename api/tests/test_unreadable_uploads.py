"""Upload bodies Django cannot parse get a 400 that says so, on the REST API and the v1 API, and
store nothing: they were 500s (MultiPartParserError, TooManyFieldsSent reached the catch-all)."""

from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from api.tests.conftest import KeyClient, MakeKey
from chat.tests.factories import make_document
from docuchat.testing import Cast
from documents.models import Document
from legacy.tests.v1 import api

pytestmark = pytest.mark.django_db

MULTIPART = "multipart/form-data; boundary=XX"
FIELD = '--XX\r\nContent-Disposition: form-data; name="f{}"\r\n\r\nv\r\n'
MANY_FIELDS = "".join(FIELD.format(i) for i in range(1100))
NAME = "a" * 9000
LONG_NAME = f'--XX\r\nContent-Disposition: form-data; name="file"; filename="{NAME}.pdf"\r\n\r\n%PDF'
BODIES = {
    "no boundary": ("multipart/form-data", "garbage"),
    "a boundary too long": ("multipart/form-data; boundary=" + "X" * 5000, "x"),
    "too many fields": (MULTIPART, MANY_FIELDS + "--XX--\r\n"),
    "a file name over the header limit": (MULTIPART, LONG_NAME + "\r\n--XX--\r\n"),
    "too many form fields": ("application/x-www-form-urlencoded", "&".join(f"a{i}=1" for i in range(1100))),
}


@pytest.fixture(autouse=True)
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize("case", BODIES)
def test_it_refuses_an_unreadable_upload_on_the_rest_api(case: str, cast: Cast, make_key: MakeKey) -> None:
    content_type, body = BODIES[case]
    client = KeyClient(make_key(cast.acme, ["documents:write"]))
    response = client.post("/api/v1/documents", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
    assert "could not be read" in response.json()["message"]
    assert not Document.objects.exists()


@pytest.mark.parametrize("case", BODIES)
def test_it_refuses_an_unreadable_upload_on_the_v1_api(case: str, cast: Cast) -> None:
    content_type, body = BODIES[case]
    client: Client = api(cast.member)
    response = client.post("/v1/files", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"] == response.json()["message"]
    assert not Document.objects.exists()


def test_it_answers_another_workspaces_key_with_404_not_a_parse_error(cast: Cast, make_key: MakeKey) -> None:
    client = KeyClient(make_key(cast.globex, ["documents:read"]))
    document = make_document(cast.acme, "Handbook", ["Refunds within 30 days."])
    response = client.get(f"/api/v1/documents/{document.public_id}")
    assert response.status_code == 404
