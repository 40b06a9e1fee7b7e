"""The v1 API's OpenAPI document and its Swagger docs at /docs, served from our own static files."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ROUTES = {
    "/v1/auth/request-code": {"post"},
    "/v1/auth/verify-code": {"post"},
    "/v1/files": {"post"},
    "/v1/files/{file_id}": {"get"},
    "/v1/usage": {"get"},
    "/healthz": {"get"},
}


def test_it_describes_every_v1_route_in_its_openapi_document(client: Client) -> None:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "DocuChat v1 API"
    assert {path: set(ops) for path, ops in schema["paths"].items()} == ROUTES
    assert "/ws/chat" in schema["info"]["description"]
    upload = schema["paths"]["/v1/files"]["post"]
    assert set(upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]) == {
        "file",
        "title",
    }
    assert {p["name"] for p in upload["parameters"]} == {"X-Tenant-ID"}
    assert upload["security"] == [{"BearerToken": []}]


def test_it_serves_swagger_docs_from_its_own_static_files(client: Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "/v1/openapi.json" in html
    assert "cdn" not in html.lower() and "<script>" not in html  # no CDN, no inline script (CSP)
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert finders.find(asset), asset


def test_it_answers_unknown_v1_addresses_with_json(client: Client) -> None:
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = client.get("/v1/usage/extra")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_it_answers_a_wrong_method_with_405(client: Client) -> None:
    assert client.get("/v1/auth/request-code").status_code == 405


def test_it_points_to_its_docs_from_its_root(client: Client) -> None:
    assert client.get("/v1/").json() == {
        "name": "DocuChat v1 API",
        "docs": "/docs",
        "openapi": "/v1/openapi.json",
    }
