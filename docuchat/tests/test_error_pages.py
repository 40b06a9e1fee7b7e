"""Production error pages (DEBUG off): styled, helpful, and the 500 page needs no database."""

import pytest
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import include, path

from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


def boom(request: HttpRequest) -> None:
    raise RuntimeError("something broke")


urlpatterns = [path("boom/", boom), path("", include("docuchat.urls"))]


def styled(html: str) -> bool:
    return "/static/css/app.css" in html and "DocuChat" in html and "Traceback" not in html


@override_settings(DEBUG=False)
def test_it_shows_a_styled_404_to_anyone(client: Client, cast: Cast) -> None:
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and styled(html)
    assert "Page not found" in html and ">Go to DocuChat</a>" in html and 'class="sidebar"' not in html
    client.force_login(cast.member)
    html = client.get("/t/globex/documents/").content.decode()  # another workspace: 404 as well
    assert "Page not found" in html and ">Go to your workspaces</a>" in html and 'id="sidebar"' in html


@override_settings(DEBUG=False)
def test_it_shows_a_styled_403_with_the_reason_and_the_way_back(client: Client, cast: Cast) -> None:
    client.force_login(cast.member)
    response = client.get("/t/acme/settings/")
    html = response.content.decode()
    assert response.status_code == 403 and styled(html)
    assert "Not allowed" in html and "Owners and admins only: your role cannot do this." in html
    assert ">Back to Acme</a>" in html and 'id="sidebar"' in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_it_shows_a_styled_500_without_touching_the_database(django_assert_num_queries) -> None:
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500 and styled(html)
    assert "Something went wrong on our side" in html and "something broke" not in html


@override_settings(DEBUG=False)
def test_it_shows_a_styled_400_for_a_bad_request() -> None:
    response = Client().get("/login/", headers={"host": "not-ours.example"})
    html = response.content.decode()
    assert response.status_code == 400 and styled(html) and "could not be understood" in html


def test_it_explains_an_expired_form_instead_of_a_bare_csrf_failure(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"email": "owner@acme.test"})
    html = response.content.decode()
    assert response.status_code == 403 and styled(html) and "This page has expired" in html
