"""The health checks (/healthz, /livez), answered before anything reads the Host header.

Compose's and a load balancer's probes call http://127.0.0.1:8000/healthz, a host that the
deployment's ALLOWED_HOSTS (the public name) rightly leaves out: behind CommonMiddleware that probe
got 400, so the web container never turned healthy and the worker never started.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from docuchat.views import healthz, livez

PROBES = {"/healthz": healthz, "/livez": livez}


def health_check_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponse:
        if probe := PROBES.get(request.path):
            return probe(request)
        return get_response(request)

    return middleware
