"""Asking for a sign-in code: the per-email and per-client-IP limits, and the email that carries it.

The sign-in pages and the v1 API (legacy/) ask through here, so both count against the same
limits and send the same email. The code itself is issued and checked in accounts/models.py.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django_ratelimit.core import is_ratelimited

from docuchat.lib import client_ip

RATE_LIMITED = "Too many code requests. Please wait a few minutes before asking for another code."


def requests_limited(request: HttpRequest, email: str) -> bool:
    """Count this request against both limits: per email (normalised) and per client IP."""
    by_email = is_ratelimited(
        request, group="login-code-email", key=lambda group, request: email,
        rate=settings.LOGIN_CODE_RATE_PER_EMAIL, increment=True,
    )  # fmt: skip
    by_ip = is_ratelimited(
        request, group="login-code-ip", key=client_ip.ratelimit_key,
        rate=settings.LOGIN_CODE_RATE_PER_IP, increment=True,
    )  # fmt: skip
    return by_email or by_ip


def send(email: str, code: str) -> None:
    context = {"code": code, "minutes": settings.LOGIN_CODE_TTL_MINUTES}
    send_mail(
        subject=f"Your DocuChat sign-in code: {code}",
        message=render_to_string("accounts/email/code.txt", context),
        from_email=None,
        recipient_list=[email],
    )
