"""Fuzzing every view: generated URL parameters, query strings and form fields never give a 500.

Every URL pattern of the site is found from the URL resolver (so a new view is fuzzed without
being listed here). Each parameter gets either a real value (the cast's workspace, its objects'
opaque ids) or generated text: NUL bytes, lone surrogates, huge numbers, dates like 9999-12.
Forms get every field name the app reads, with generated values. A request may be refused
(400, 403, 404, 405, 429, a redirect), but never answered with a server error; the test client
re-raises any exception a view lets out, so a crash fails with its traceback.
"""

import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings as SettingsWrapper

from chat.models import ChatSession, Message
from docuchat.testing import Cast
from documents.tests import pdfs
from documents.tests.conftest import make_document
from tenants.models import Invitation, Membership

# Every name a form or view of the app reads from GET or POST.
FIELDS = [
    "email", "code", "display_name", "tenant", "next", "name", "slug", "role", "title", "value",
    "confirm", "assistant_instructions", "default_model", "action", "actor", "page", "start", "end",
]  # fmt: skip
SKIPPED = {"admin"}  # Django's own admin is not ours to fuzz

NASTY = [
    "\x00", "a\x00b", "\ud800", "9999-12", "0000-00", "-1", "99999999999999999999", "1e309", "2026-02-30",
    "../../etc/passwd", "%00", "<script>", "=HYPERLINK(1)", " ", "acme", "up", "owner", "x" * 300,
]  # fmt: skip
nasty_text = st.one_of(st.sampled_from(NASTY), st.sampled_from(NASTY), st.text(max_size=40))


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) for every URL pattern, with the routes of includes joined."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not any(route.startswith(s) for s in SKIPPED):
                yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name or route


ROUTES = sorted(set(patterns()))


def fill(route: str, draw: st.DrawFn, real: dict[str, list[str]]) -> str:
    """The route with each <converter:name> replaced by a real value or generated text."""
    path, rest = "", route
    while "<" in rest:
        before, _, rest = rest.partition("<")
        spec, _, rest = rest.partition(">")
        converter, _, name = spec.rpartition(":")
        choices = real.get(name, []) or real.get(converter, [])
        value = draw(st.one_of(st.sampled_from(choices), nasty_text) if choices else nasty_text, label=name)
        path += before + raw(value)
    return "/" + path + rest


def raw(value: str) -> str:
    """Percent-encoded as a raw client would send it (a lone surrogate as its invalid bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def form(fields: dict[str, str]) -> str:
    return "&".join(f"{raw(k)}={raw(v)}" for k, v in fields.items())


@pytest.fixture
def world(cast: Cast, settings: SettingsWrapper, tmp_path: object) -> dict[str, list[str]]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "ocr"]}
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    document = make_document(cast, pdfs.text_pdf(1))
    chat = ChatSession.objects.create(tenant=cast.acme, user=cast.owner, title="Hello")
    Message.objects.create(session=chat, role=Message.Role.USER, content="hi")
    answer = Message.objects.create(session=chat, role=Message.Role.ASSISTANT, content="hello")
    invitation = Invitation.objects.create(
        tenant=cast.acme, email="new@acme.test", role="member", token_hash="x" * 64,
        invited_by=cast.owner, expires=answer.created,
    )  # fmt: skip
    member = Membership.objects.get(tenant=cast.acme, user=cast.member)
    return {
        "slug": ["acme", "globex"],
        "public_id": [str(document.public_id)],
        "session_id": [str(chat.public_id)],
        "message_id": [str(answer.public_id)],
        "invitation_id": [str(invitation.public_id)],
        "member_id": [str(member.public_id)],
        "uuid": [
            str(document.public_id),
            str(chat.public_id),
            str(answer.public_id),
            str(invitation.public_id),
            str(member.public_id),
        ],
        "month": [f"{answer.created:%Y-%m}"],
    }


@pytest.fixture
def clients(cast: Cast) -> dict[str, Client]:
    """The owner (who reaches the most code), a member, and an anonymous visitor."""
    signed_in = {"owner": Client(), "member": Client(), "anonymous": Client()}
    signed_in["owner"].force_login(cast.owner)
    signed_in["member"].force_login(cast.member)
    return signed_in


FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),  # more for a deeper run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _, name in ROUTES])
@FUZZ
@given(data=st.data())
def test_it_never_answers_a_generated_request_with_a_server_error(
    route: str, name: str, data: st.DataObject, world: dict[str, list[str]], clients: dict[str, Client]
) -> None:
    client = clients[data.draw(st.sampled_from(["owner", "owner", "member", "anonymous"]), label="who")]
    path = fill(route, data.draw, world)
    fields = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, nasty_text)), label="fields")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
    with transaction.atomic():  # each request's writes are undone, so examples do not pile up
        if method == "get":
            response = client.get(f"{path}?{form(fields)}", headers=headers)
        else:
            response = client.post(path, form(fields), "application/x-www-form-urlencoded", headers=headers)
        transaction.set_rollback(True)
    assert response.status_code < 500, (method, path, fields, response.content[:300])
