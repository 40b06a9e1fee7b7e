import pytest
from django.db import connection
from django.test import Client, override_settings


@pytest.mark.django_db
def test_it_reports_healthy_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ["cache", "database"]}


@pytest.mark.django_db(transaction=True)
def test_it_reports_503_naming_the_database_when_it_does_not_answer(client: Client) -> None:
    real_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "docuchat_missing_database"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "database" in body["failing"]
    assert "docuchat_missing_database" in body["failing"]["database"]


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["docs.example.com"])
def test_it_answers_probes_on_a_host_the_deployment_does_not_serve(client: Client) -> None:
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


@pytest.mark.django_db
def test_it_answers_only_get_and_head(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
