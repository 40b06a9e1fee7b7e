from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from docuchat import health
from docuchat.heartbeat import beat
from docuchat.models import WorkerHeartbeat

PARTS = ["database", "cache", "channel_layer", "worker"]


@pytest.fixture
def worker_alive(db: None) -> None:
    beat("worker-host:101", "*")


@pytest.mark.django_db
def test_it_reports_healthy_when_every_part_answers(client: Client, worker_alive: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": PARTS}


@pytest.mark.django_db
def test_it_reports_503_naming_the_worker_when_none_has_beaten_lately(client: Client) -> None:
    WorkerHeartbeat.objects.create(name="old:1", queues="*", seen=timezone.now() - timedelta(seconds=31))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", [True, False])
def test_it_reports_503_naming_the_database_with_details_only_in_debug(
    client: Client, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    real_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "docuchat_missing_database"
    try:
        with override_settings(DEBUG=debug):
            response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "database" in body["failing"]
    if debug:
        assert "docuchat_missing_database" in body["details"]["database"]
    else:
        assert "details" not in body
        assert "docuchat_missing_database" not in response.content.decode()
    # The operator finds what went wrong in the log either way.
    assert "docuchat_missing_database" in caplog.text


@pytest.mark.django_db
@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
)
def test_it_reports_503_naming_the_channel_layer_when_it_does_not_answer(
    client: Client, worker_alive: None
) -> None:
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]


@pytest.fixture
def extra_part() -> Iterator[list[str]]:
    calls: list[str] = []

    def check() -> None:
        calls.append("checked")
        raise health.Failing("the embedding model changed")

    before = list(health.PARTS)
    health.register("embedding_model", check)
    yield calls
    health.PARTS[:] = before


@pytest.mark.django_db
def test_it_reports_a_part_another_app_registers(
    client: Client, worker_alive: None, extra_part: list[str]
) -> None:
    with override_settings(DEBUG=True):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == [*PARTS, "embedding_model"]
    assert response.json()["details"] == {"embedding_model": "the embedding model changed"}
    assert extra_part == ["checked"]


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["docs.example.com"])
def test_it_answers_probes_on_a_host_the_deployment_does_not_serve(
    client: Client, worker_alive: None
) -> None:
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert client.get("/livez", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_it_says_alive_without_the_database(client: Client) -> None:
    real_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "docuchat_missing_database"
    try:
        response = client.get("/livez")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.mark.django_db
def test_it_answers_only_get_and_head(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/livez").status_code == 405
