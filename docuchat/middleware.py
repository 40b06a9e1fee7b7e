"""The health checks (/healthz, /livez), answered before anything reads the Host header, and the
hop-free forms of Django's middleware that the served app runs (docuchat/lib/middleware.py).

Compose's and a load balancer's probes call http://127.0.0.1:8000/healthz, a host that the
deployment's ALLOWED_HOSTS (the public name) rightly leaves out: behind CommonMiddleware that probe
got 400, so the web container never turned healthy and the worker never started.
"""

from asgiref.sync import sync_to_async
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django_htmx.middleware import HtmxMiddleware
from whitenoise.middleware import WhiteNoiseMiddleware

from docuchat.lib.middleware import DualMiddleware, for_pages, inline
from docuchat.views import healthz, livez
from tenants.middleware import TenantMiddleware

PROBES = {"/healthz": healthz, "/livez": livez}


class HealthChecks(DualMiddleware):
    def call(self, request: HttpRequest) -> HttpResponse:
        if probe := PROBES.get(request.path):
            return probe(request)
        return self.get_response(request)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        if probe := PROBES.get(request.path):
            return await sync_to_async(probe)(request)  # they ask the database, the cache, ...
        return await self.get_response(request)


# Headers from settings, set on the event loop (no thread hop for each hook).
Security = inline(SecurityMiddleware)
ContentSecurityPolicy = inline(ContentSecurityPolicyMiddleware)
Common = inline(CommonMiddleware)
FrameOptions = inline(XFrameOptionsMiddleware)

# For the pages only: requests to the API doors (/api/, /v1/) carry no cookies and want no page.
StaticFiles = for_pages(WhiteNoiseMiddleware)
Sessions = for_pages(SessionMiddleware)
Csrf = for_pages(CsrfViewMiddleware)
Authentication = for_pages(AuthenticationMiddleware)
Messages = for_pages(MessageMiddleware)
Htmx = for_pages(HtmxMiddleware)
Tenants = for_pages(TenantMiddleware)


# settings.MIDDLEWARE's entries -> the forms that docuchat.asgi's handler runs in their place.
HOP_FREE = {
    "django.middleware.security.SecurityMiddleware": "docuchat.middleware.Security",
    "django.middleware.csp.ContentSecurityPolicyMiddleware": "docuchat.middleware.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware": "docuchat.middleware.StaticFiles",
    "django.contrib.sessions.middleware.SessionMiddleware": "docuchat.middleware.Sessions",
    "django.middleware.common.CommonMiddleware": "docuchat.middleware.Common",
    "django.middleware.csrf.CsrfViewMiddleware": "docuchat.middleware.Csrf",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "docuchat.middleware.Authentication",
    "django.contrib.messages.middleware.MessageMiddleware": "docuchat.middleware.Messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "docuchat.middleware.FrameOptions",
    "django_htmx.middleware.HtmxMiddleware": "docuchat.middleware.Htmx",
    "tenants.middleware.TenantMiddleware": "docuchat.middleware.Tenants",
}
