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
    return JsonResponse({"status": "ok", "checks": sorted(CHECKS)})


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for where no page names an icon (a PDF, the JSON pages)."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))
