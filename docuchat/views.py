import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from docuchat import health

logger = logging.getLogger(__name__)


def _embedding_warnings() -> list[str]:
    from documents.checks import embedding_problems

    return embedding_problems()


# Parts that report without failing the probe: restarting or pulling the server would not fix
# them (an operator does, and each says how), and search keeps working meanwhile.
WARNINGS = {"embeddings": _embedding_warnings}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part answers; 503 naming each part that does not.

    What went wrong (error texts, socket paths, workspace names) goes to the log; the answer says
    it only with DEBUG on, since anyone can call this address.
    """
    failing = health.failing_parts()
    names = [part.name for part in health.PARTS]
    if failing:
        for name, detail in failing.items():
            logger.error("Health check: %s is failing: %s", name, detail)
        body: dict[str, object] = {"status": "error", "failing": sorted(failing), "checks": names}
        if settings.DEBUG:
            body["details"] = failing
        return JsonResponse(body, status=503)
    body = {"status": "ok", "checks": names}
    if warnings := {name: found for name, warn in WARNINGS.items() if (found := _warnings(warn))}:
        for name, found in warnings.items():
            logger.warning("Health check: %s: %s", name, " ".join(found))
        body["warnings"] = warnings if settings.DEBUG else sorted(warnings)
    return JsonResponse(body)


def _warnings(warn: Callable[[], list[str]]) -> list[str]:
    try:
        return warn()
    except Exception as exc:  # a part that cannot even be checked says so, and the probe still answers
        return [f"could not be checked: {type(exc).__name__}: {exc}"[:300]]


@require_GET
@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    """200 while this process can answer at all: touches no database, cache or worker. For the
    proxy and the orchestrator, which should restart a process only when it is stuck itself."""
    return JsonResponse({"status": "alive"})


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for where no page names an icon (a PDF, the JSON pages)."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))
