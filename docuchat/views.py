from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("healthz", "ok", 5)


CHECKS = {"database": _check_database, "cache": _check_cache}


def _embedding_warnings() -> list[str]:
    from documents.checks import embedding_problems

    return embedding_problems()


# Parts that report without failing the probe: restarting or pulling the server would not fix
# them (an operator does, and each says how), and search keeps working meanwhile.
WARNINGS = {"embeddings": _embedding_warnings}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part answers; 503 naming each part that does not."""
    failing: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is a failed check
            failing[name] = f"{type(exc).__name__}: {exc}".strip()[:300]
    if failing:
        return JsonResponse({"status": "error", "failing": failing}, status=503)
    body: dict[str, object] = {"status": "ok", "checks": sorted(CHECKS)}
    if warnings := {name: found for name, warn in WARNINGS.items() if (found := _warnings(warn))}:
        body["warnings"] = warnings
    return JsonResponse(body)


def _warnings(warn: Callable[[], list[str]]) -> list[str]:
    try:
        return warn()
    except Exception as exc:  # a part that cannot even be checked says so, and the probe still answers
        return [f"could not be checked: {type(exc).__name__}: {exc}"[:300]]


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for where no page names an icon (a PDF, the JSON pages)."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))
