"""Following an invitation link.

/invite/<token>/ keeps the token in the session and redirects to /invite/, so the token leaves
the address bar (and any Referer) at once. /invite/ then shows who invited you to what and
sends you through the usual email-code sign-in, with the invited email filled in; once you are
signed in it accepts the invitation and lands you on the workspace's dashboard.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.views import SESSION_EMAIL_HINT
from tenants import invitations
from tenants.http import AuthedRequest

SESSION_INVITE = "invite_token"


@require_GET
def follow(request: AuthedRequest, token: str) -> HttpResponse:
    request.session[SESSION_INVITE] = token
    return redirect("tenants:invitation_landing")


@require_GET
def landing(request: AuthedRequest) -> HttpResponse:
    token = request.session.get(SESSION_INVITE)
    if not token:
        return _page(request, error="There is no invitation to open. Use the link in your email.", status=404)
    try:
        invitation = invitations.find(token)
    except invitations.InvitationRefused as refused:
        request.session.pop(SESSION_INVITE, None)
        return _refused(request, refused)
    if not request.user.is_authenticated:
        request.session[SESSION_EMAIL_HINT] = invitation.email
        login = reverse("accounts:login") + "?" + urlencode({"next": reverse("tenants:invitation_landing")})
        return _page(request, invitation=invitation, login_url=login)
    return _accept(request, token)


def _accept(request: AuthedRequest, token: str) -> HttpResponse:
    try:
        membership = invitations.accept(token, request.user)
    except invitations.InvitationRefused as refused:
        if refused.reason != invitations.Refusal.WRONG_EMAIL:
            request.session.pop(SESSION_INVITE, None)
        return _refused(request, refused)
    request.session.pop(SESSION_INVITE, None)
    request.session.pop(SESSION_EMAIL_HINT, None)
    tenant = membership.tenant
    role = membership.get_role_display().lower()
    article = "an" if role[0] in "aeiou" else "a"
    messages.success(request, f"Welcome to {tenant.name}! You joined as {article} {role}.")
    return redirect("tenants:dashboard", tenant_slug=tenant.slug)


def _refused(request: AuthedRequest, refused: invitations.InvitationRefused) -> HttpResponse:
    status = invitations.REFUSAL_STATUS[refused.reason]
    error = refused.reason.label
    if refused.reason == invitations.Refusal.WRONG_EMAIL and refused.invitation is not None:
        error = (
            f"This invitation is for {refused.invitation.email}, but you are signed in as "
            f"{request.user.email}. Log out, then sign in as {refused.invitation.email} to accept it."
        )
    return _page(request, error=error, status=status, wrong_email=refused.reason == "wrong_email")


def _page(request: AuthedRequest, *, status: int = 200, **context: object) -> HttpResponse:
    return render(request, "tenants/invitation.html", context, status=status)
