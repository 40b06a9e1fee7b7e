"""The DocuChat v1 API over HTTP (django-ninja): the original backend's routes, kept working.

    POST /v1/auth/request-code   {"email"}           a 6-digit code by email (the web sign-in's)
    POST /v1/auth/verify-code    {"email", "code"}   {"access_token", "token_type": "bearer"}
    POST /v1/files               multipart file, title
    GET  /v1/files/{id}          the file's indexing status (to wait until it is ready)
    GET  /v1/usage               the caller's tokens over the last 24 hours and 7 days
    GET  /healthz                (docuchat/middleware.py HealthChecks; listed in the OpenAPI document here)

Streaming chat is the WebSocket /ws/chat (legacy/consumers.py). The workspace is named by the
X-Tenant-ID header. Every error is JSON: {"code", "message", "detail"}. See docs/v1-api.md.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Header, NinjaAPI, Status, UploadedFile
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from accounts import codes
from accounts.forms import CodeForm, EmailForm
from accounts.models import CodeCheck, LoginCode, User, check_code
from docuchat.lib.body_limit import UNREADABLE_BODY, UNREADABLE_BODY_ERRORS
from documents import live, uploads
from legacy import access, schemas, tokens
from tenants import access as tenant_access
from tenants.http import TenantRequest
from tenants.models import Membership
from usage import reports

log = logging.getLogger(__name__)
TENANT_HEADER = "X-Tenant-ID"
DISABLED = "This account is disabled. Contact your workspace owner."
NO_TOKEN = "Sign in first, and send the access token as the header Authorization: Bearer <access_token>."  # noqa: S105
HEALTHZ = {
    "get": {
        "operationId": "healthz",
        "summary": "Health",
        "description": "200 when the database, the cache, the channel layer and a worker answer; "
        "503 naming each failing part otherwise. No authentication.",
        "tags": ["health"],
        "responses": {"200": {"description": "Healthy"}, "503": {"description": "A part is failing"}},
    }
}
DESCRIPTION = """The original DocuChat backend's API, served by DocuChat so that its clients keep working.

Sign in with `request-code` then `verify-code`; send the token as `Authorization: Bearer <token>`
and name the workspace in the `X-Tenant-ID` header (its slug or its numeric id).

**Streaming chat** is a WebSocket: `/ws/chat?token=<token>&tenant=<workspace>` (or the
`X-Tenant-ID` header). Send `{"message": "...", "session_id": "..."}` (`session_id` optional:
continue that conversation). Receive `{"type": "start", "session_id"}`, then
`{"type": "delta", "token"}` pieces, then `{"type": "end", "usage", "sources"}`; or
`{"type": "error", "message", "code"}`. See docs/v1-api.md.
"""


class V1Error(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class V1Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema["paths"]["/healthz"] = HEALTHZ  # answered before URL routing (docuchat/middleware.py)
        return schema


api = V1Api(
    title="DocuChat v1 API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    body = {"code": code, "message": message, "detail": message, **extra}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(V1Error)
def on_v1_error(request: HttpRequest, exc: V1Error) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message, **exc.extra)


@api.exception_handler(AuthenticationError)
def on_unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = NO_TOKEN if exc.message == "Unauthorized" else exc.message
    return error(request, 401, "unauthorized", message)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "invalid", 403: "forbidden", 405: "method_not_allowed", 429: "rate_limited"}
    return error(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [_problem(e) for e in exc.errors]
    return error(request, 422, "invalid", "; ".join(problems) or "The request is not valid.")


def _problem(found: dict[str, Any]) -> str:
    where = [str(part) for part in found.get("loc", ()) if part not in ("body", "form", "query", "path")]
    where = [("X-Tenant-ID header" if part in ("header", "X-Tenant-ID") else part) for part in where]
    where = list(dict.fromkeys(where))
    return f"{' '.join(where) or 'body'}: {found.get('msg', 'not valid')}"


@api.exception_handler(DatabaseError)
def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    log.error("v1 API request failed: the database did not answer", exc_info=exc)
    return error(request, 503, "unavailable", "DocuChat is temporarily unavailable. Try again in a moment.")


def on_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django cannot parse (body_limit.UNREADABLE_BODY_ERRORS): a 400, not a 500."""
    log.warning("Unreadable v1 API request %s %s: %s", request.method, request.path, exc)
    return error(request, 400, "invalid", UNREADABLE_BODY)


for _error in UNREADABLE_BODY_ERRORS:
    api.add_exception_handler(_error, on_unreadable)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.error("v1 API request failed", exc_info=exc)
    return error(request, 500, "error", "Something went wrong on our side. Try again.")


class BearerToken(HttpBearer):
    """A v1 token, checked against the database on every request (legacy/access.py)."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.headers.get(self.header):
            raise AuthenticationError(message=NO_TOKEN)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        try:
            claims = tokens.read(token)
        except tokens.InvalidToken as exc:
            raise AuthenticationError(message=str(exc)) from None
        user = access.signed_in_user(claims)
        if user is None:
            raise AuthenticationError(message=access.REVOKED)
        request.user, request.claims = user, claims  # type: ignore[attr-defined]
        return user


bearer = BearerToken()
TenantHeader = Annotated[
    str, Header(alias=TENANT_HEADER, description="The workspace: its slug or numeric id.")
]
ERRORS = {401: schemas.Error, 404: schemas.Error, 422: schemas.Error}


def workspace(request: HttpRequest, ref: str) -> TenantRequest:
    """The request, as a member's of the workspace `ref`: 404 for a workspace that does not exist
    and for one the user is not a member of alike."""
    membership: Membership | None = access.current_membership(request.claims, ref)  # type: ignore[attr-defined]
    if membership is None:
        raise Http404(access.NO_WORKSPACE)
    request.tenant, request.membership = membership.tenant, membership  # type: ignore[attr-defined]
    return request  # type: ignore[return-value]


def _email(raw: str) -> str:
    form = EmailForm({"email": raw})
    if not form.is_valid():
        raise V1Error(400, "invalid", f"email: {form.errors['email'][0]}")
    return form.cleaned_data["email"]


@api.post(
    "/auth/request-code",
    response={200: schemas.CodeSent, 400: schemas.Error, 429: schemas.Error},
    tags=["auth"],
    summary="Email a sign-in code",
)
def request_code(request: HttpRequest, body: schemas.EmailIn) -> schemas.CodeSent:
    """The same code, limits and email as the web sign-in. Known and unknown emails get the same
    answer; the account is created when the code is verified."""
    email = _email(body.email)
    if codes.requests_limited(request, email):
        raise V1Error(429, "rate_limited", codes.RATE_LIMITED)
    _, code = LoginCode.issue(email)
    codes.send(email, code)
    minutes = settings.LOGIN_CODE_TTL_MINUTES
    return schemas.CodeSent(
        message=f"A 6-digit sign-in code is on its way to {email}. It expires in {minutes} minutes.",
        expires_in=minutes * 60,
    )


CODE_ERRORS = {
    CodeCheck.WRONG: "wrong_code",
    CodeCheck.EXPIRED: "expired_code",
    CodeCheck.LOCKED: "locked_code",
}


@api.post(
    "/auth/verify-code",
    response={200: schemas.TokenOut, 400: schemas.Error, 403: schemas.Error},
    tags=["auth"],
    summary="Exchange the code for an access token",
)
def verify_code(request: HttpRequest, body: schemas.VerifyIn) -> schemas.TokenOut:
    """The code works once, expires, and dies after too many wrong tries, as on the web."""
    email = _email(body.email)
    form = CodeForm({"code": body.code})
    if not form.is_valid():
        raise V1Error(400, "invalid", f"code: {form.errors['code'][0]}")
    result = check_code(email, form.cleaned_data["code"])
    if result != CodeCheck.OK:
        raise V1Error(400, CODE_ERRORS[CodeCheck(result)], CodeCheck(result).label)
    user = User.objects.for_email(email)
    if not user.is_active:
        raise V1Error(403, "forbidden", DISABLED)
    update_last_login(User, user)
    return schemas.TokenOut(access_token=tokens.issue(user), token_type="bearer")  # noqa: S106


def size_limited(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Put the upload page's size limit in front of the body's parsing (as documents/views.py)."""

    @wraps(run)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers.insert(0, uploads.SizeLimitHandler(request))
        return run(request, *args, **kwargs)

    return limited


@api.post(
    "/files",
    auth=bearer,
    response={
        202: schemas.FileOut,
        400: schemas.Error,
        409: schemas.Duplicate,
        413: schemas.Error,
        **ERRORS,
    },
    tags=["files"],
    summary="Upload a PDF",
)
@decorate_view(size_limited)
def upload_file(
    request: HttpRequest,
    x_tenant_id: TenantHeader,
    file: Annotated[UploadedFile | None, File()] = None,
    title: Annotated[str, Form()] = "",
) -> Status[schemas.FileOut]:
    """The upload page's checks and messages: a PDF (by its bytes), not empty, within
    MAX_FILE_SIZE_MB and MAX_PDF_PAGES, not encrypted. It is queued for indexing (202); poll
    `GET /v1/files/{id}` until its status is `ready`."""
    tenant_request = workspace(request, x_tenant_id)
    size_limit: uploads.SizeLimitHandler = request.upload_handlers[0]
    if size_limit.too_large:
        raise V1Error(413, "too_large", uploads.too_large(size_limit.too_large[0]).error)
    if file is None:
        raise V1Error(400, "invalid", "Choose a PDF to upload, as the multipart field “file”.")
    title = _title(title)
    facts = size_limit.facts_for([file])[0]
    outcome = uploads.accept(tenant_request.tenant, request.user, file, streamed=facts, title=title)
    if outcome.duplicate is not None:
        existing = outcome.duplicate
        message = f"This workspace already has this file, as “{existing.title}”."
        raise V1Error(409, "duplicate", message, file=file_out(existing).model_dump(mode="json"))
    if outcome.document is None:
        raise V1Error(400, "invalid_file", outcome.error)
    live.push_list_changed(tenant_request.tenant)
    return Status(202, file_out(outcome.document))


def _title(title: str) -> str:
    if problem := uploads.title_problem(title):
        raise V1Error(400, "invalid", f"title: {problem}")
    return title.strip()


def file_out(document: Any) -> schemas.FileOut:
    return schemas.FileOut(
        id=str(document.public_id),
        title=document.title,
        status=document.status,
        pages=document.page_count,
        chunks=document.chunks_total,
        error=document.error,
        created=document.created,
    )


@api.get(
    "/files/{file_id}",
    auth=bearer,
    response={200: schemas.FileOut, **ERRORS},
    tags=["files"],
    summary="A file's indexing status",
)
def get_file(request: HttpRequest, file_id: UUID, x_tenant_id: TenantHeader) -> Any:
    """A file of the workspace and its indexing status."""
    tenant_request = workspace(request, x_tenant_id)
    try:
        return file_out(tenant_access.get_document(tenant_request, file_id))
    except Http404:
        raise Http404("No such file.") from None


@api.get(
    "/usage",
    auth=bearer,
    response={200: schemas.UsageOut, **ERRORS},
    tags=["usage"],
    summary="Your token usage",
)
def usage(request: HttpRequest, x_tenant_id: TenantHeader) -> schemas.UsageOut:
    """Your own tokens (and their cost) in this workspace, over the last 24 hours and 7 days."""
    tenant_request = workspace(request, x_tenant_id)
    records = tenant_access.usage_records(tenant_request).filter(user=request.user)
    day, week, _ = reports.totals(records)
    return schemas.UsageOut(
        tokens_24h=day.tokens, tokens_7d=week.tokens, cost_usd_24h=str(day.cost), cost_usd_7d=str(week.cost)
    )
