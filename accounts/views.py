from django.conf import settings
from django.contrib.auth import login, logout
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.forms import CodeForm, EmailForm
from accounts.models import CodeCheck, LoginCode, User, check_code

SESSION_EMAIL = "login_email"
SESSION_NEXT = "login_next"
RATE_LIMITED = "Too many code requests. Please wait a few minutes before asking for another code."


def _email_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


def _code_requests_limited(request: HttpRequest) -> bool:
    """Count this request against both limits: per email and per client IP."""
    by_email = is_ratelimited(
        request, group="login-code-email", key=_email_key,
        rate=settings.LOGIN_CODE_RATE_PER_EMAIL, increment=True,
    )  # fmt: skip
    by_ip = is_ratelimited(
        request, group="login-code-ip", key="ip",
        rate=settings.LOGIN_CODE_RATE_PER_IP, increment=True,
    )  # fmt: skip
    return by_email or by_ip


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: ask for an email and send a code. Known and unknown emails look identical."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = EmailForm(request.POST or None)
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        request.session[SESSION_NEXT] = next_url
    if request.method == "POST" and form.is_valid():
        if _code_requests_limited(request):
            form.add_error(None, RATE_LIMITED)
            return render(request, "accounts/login.html", {"form": form}, status=429)
        email = form.cleaned_data["email"]
        _, code = LoginCode.issue(email)
        _send_code(email, code)
        request.session[SESSION_EMAIL] = email
        return redirect("accounts:code")
    return render(request, "accounts/login.html", {"form": form})


def _send_code(email: str, code: str) -> None:
    context = {"code": code, "minutes": settings.LOGIN_CODE_TTL_MINUTES}
    send_mail(
        subject=f"Your DocuChat sign-in code: {code}",
        message=render_to_string("accounts/email/code.txt", context),
        from_email=None,
        recipient_list=[email],
    )


@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    """Step 2: the 6-digit code signs the user in, creating the account on first use."""
    email = request.session.get(SESSION_EMAIL)
    if not email:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = check_code(email, form.cleaned_data["code"])
        if result == CodeCheck.OK:
            return _sign_in(request, email)
        form.add_error("code", result.label)
    return render(request, "accounts/code.html", {"form": form, "email": email})


def _sign_in(request: HttpRequest, email: str) -> HttpResponse:
    user = User.objects.for_email(email)
    if not user.is_active:
        form = CodeForm()
        form.add_error(None, "This account is disabled. Contact your workspace owner.")
        return render(request, "accounts/code.html", {"form": form, "email": email}, status=403)
    next_url = request.session.pop(SESSION_NEXT, None) or settings.LOGIN_REDIRECT_URL
    request.session.pop(SESSION_EMAIL, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(next_url)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
