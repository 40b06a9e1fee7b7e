"""compose.yaml's start-up order cannot deadlock: only the proxy waits for the web service's
health, and the workers start beside the web processes once the migrations ran."""

from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = yaml.safe_load((Path(settings.BASE_DIR) / "compose.yaml").read_text())


def test_it_starts_the_workers_beside_the_web_service_not_after_it() -> None:
    services = COMPOSE["services"]
    waits_for_web = sorted(
        name for name, service in services.items() if "web" in service.get("depends_on", {})
    )
    assert waits_for_web == ["nginx"]
    for worker in ("worker", "ocr-worker"):
        depends = services[worker]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["db"]["condition"] == "service_healthy"


def test_it_checks_the_web_service_with_livez_which_needs_no_worker() -> None:
    assert "/livez" in " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])
