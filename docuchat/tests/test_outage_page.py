"""While the database is away, pages answer 503 with a styled "back soon" page, not a 500.

The real thing (PostgreSQL stopped under a running server) is in test_database_restart.py; here
the database "fails" where a view queries it, and where a middleware does (resolving the
workspace), the two paths Django takes to an error page.
"""

import pytest
from django.db import OperationalError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


def outage(*args: object, **kwargs: object) -> None:
    raise OperationalError("connection to server on socket failed: No such file or directory")


@pytest.fixture
def owner(cast: Cast) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(cast.owner)
    return client


def assert_back_soon(response: object) -> None:
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response["Retry-After"] == "15"  # type: ignore[index]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "DocuChat will be back soon" in page and "/static/css/app.css" in page
    assert "socket" not in page  # the error's details are for the logs


def test_it_answers_503_when_a_views_query_fails(owner: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tenants.access.documents", outage)
    assert_back_soon(owner.get("/t/acme/documents/"))


def test_it_answers_503_when_a_middlewares_query_fails(
    owner: Client, monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    monkeypatch.setattr("tenants.middleware.resolve_membership", outage)
    settings.DEBUG = False  # production's handler500
    assert_back_soon(owner.get("/t/acme/documents/"))


def test_it_keeps_the_500_page_for_other_errors(
    owner: Client, monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr("tenants.middleware.resolve_membership", bug)
    settings.DEBUG = False
    assert owner.get("/t/acme/documents/").status_code == 500


def test_it_still_gives_another_tenants_page_404(owner: Client) -> None:
    assert owner.get("/t/globex/documents/").status_code == 404
