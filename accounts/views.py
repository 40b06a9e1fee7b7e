from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import codes
from accounts.forms import CodeForm, EmailForm, ProfileForm
from accounts.models import CodeCheck, LoginCode, User, check_code
from accounts.sessions import end_all_sessions
from tenants import permissions, team
from tenants.http import AuthedRequest
from tenants.middleware import resolve_membership
from tenants.models import Membership

SESSION_EMAIL = "login_email"
SESSION_NEXT = "login_next"
# Set by an invitation link: the invited email, filled in on the sign-in form.
SESSION_EMAIL_HINT = "login_email_hint"
# Session keys that survive logging out, so "log out and sign in as the invited email" works.
KEEP_ACROSS_LOGOUT = ("invite_token", SESSION_EMAIL_HINT)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: ask for an email and send a code. Known and unknown emails look identical."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = EmailForm(request.POST or None, initial={"email": request.session.get(SESSION_EMAIL_HINT, "")})
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        request.session[SESSION_NEXT] = next_url
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if codes.requests_limited(request, email):
            form.add_error(None, codes.RATE_LIMITED)
            return render(request, "accounts/login.html", {"form": form}, status=429)
        _, code = LoginCode.issue(email)
        codes.send(email, code)
        request.session[SESSION_EMAIL] = email
        return redirect("accounts:code")
    return render(request, "accounts/login.html", {"form": form})


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
    next_url = request.session.pop(SESSION_NEXT, None)
    request.session.pop(SESSION_EMAIL, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # A URL as given, never a view name: redirect("abc") would look "abc" up as one (a 500).
    return HttpResponseRedirect(next_url) if next_url else redirect(settings.LOGIN_REDIRECT_URL)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    kept = {key: request.session[key] for key in KEEP_ACROSS_LOGOUT if key in request.session}
    logout(request)
    request.session.update(kept)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return HttpResponseRedirect(next_url)
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
@login_required
def account(request: AuthedRequest) -> HttpResponse:
    """Display name, the person's workspaces (with leave), and logging out everywhere."""
    user = request.user
    form = ProfileForm(request.POST or None, initial={"display_name": user.display_name})
    if request.method == "POST" and form.is_valid():
        user.display_name = form.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        messages.success(request, "Your display name is saved.")
        return redirect("accounts:account")
    owners = Count("tenant__memberships", filter=Q(tenant__memberships__role=Membership.Role.OWNER))
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("tenant")
        .annotate(owners=owners)
        .order_by("tenant__name")
    )
    context = {"form": form, "memberships": memberships, "sole_owner": permissions.SOLE_OWNER}
    return render(request, "accounts/account.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def leave_workspace(request: AuthedRequest) -> HttpResponse:
    membership = resolve_membership(request.user, request.POST.get("tenant", ""))  # 404 unless a member
    try:
        team.leave(membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You left {membership.tenant.name}.")
    return redirect("accounts:account")


@require_POST
@login_required
def end_sessions(request: AuthedRequest) -> HttpResponse:
    end_all_sessions(request.user)
    logout(request)
    messages.success(request, "You are logged out of every session, on every device.")
    return redirect("accounts:login")
