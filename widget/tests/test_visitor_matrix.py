"""What a visitor's credentials reach, like tenants/tests/test_permission_matrix.py for roles.

A visitor of assistant A (acme) has its visitor token and A's embed token. It reaches A's
documents and its own conversations, and nothing else: not B's (another assistant of acme), not
G's (globex's), not a member's, no staff page and no staff socket. Every refusal leaves every
conversation as it was.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from assistants.models import Assistant
from chat.models import ChatSession, Message
from chat.tests.factories import make_document, pdf_bytes
from chat.tests.fake_llm import FakeLLM
from docuchat.testing import Cast
from documents.models import Document
from widget.embedding import embed_token
from widget.tests.helpers import SITE, ask, connected, hello, live, socket

pytestmark = pytest.mark.django_db(transaction=True)
REFUND = "Refund policy: returns within 30 days get a full refund."
SECRET = "Salary bands: engineers earn between 10 and 20 gold coins."


@dataclass
class World:
    a: Assistant  # acme's default assistant, answering from `handbook` only
    b: Assistant  # another acme assistant
    g: Assistant  # globex's
    handbook: Document
    salaries: Document  # acme's, not A's
    token: str  # A's visitor
    mine: str  # A's visitor's conversation
    b_conversation: str
    g_conversation: str
    member_conversation: str
    b_answer: str


@pytest.fixture
def world(cast: Cast, llm: FakeLLM, settings, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    handbook = make_document(cast.acme, "Handbook", [REFUND, "Shipping takes two days."],
                             pdf=pdf_bytes([REFUND, "Shipping takes two days."]))  # fmt: skip
    salaries = make_document(cast.acme, "Salaries", [SECRET], pdf=pdf_bytes([SECRET]))
    make_document(cast.globex, "Globex handbook", [REFUND])
    a = live(cast.acme, all_documents=False, visitors_open_pages=True)
    a.documents.set([handbook])
    b = Assistant.objects.create(tenant=cast.acme, name="Sales", allowed_origins=[SITE])
    g = live(cast.globex)

    async def conversation(assistant: Assistant) -> tuple[str, str, str]:
        ws, greeting = await connected(assistant)
        replies = await ask(ws, "What is the refund policy?")
        await ws.disconnect()
        return greeting["visitor"], replies[0]["conversation"], replies[-1]["answer"]["id"]

    token, mine, _ = async_to_sync(conversation)(a)
    _, b_conversation, b_answer = async_to_sync(conversation)(b)
    _, g_conversation, _ = async_to_sync(conversation)(g)
    staff = ChatSession.objects.create(tenant=cast.acme, user=cast.member, title="Mine")
    Message.objects.create(session=staff, role="user", content="A member's question")
    return World(a, b, g, handbook, salaries, token, mine, b_conversation, g_conversation,
                 str(staff.public_id), b_answer)  # fmt: skip


def snapshot() -> list[tuple[object, ...]]:
    return sorted(Message.objects.values_list("public_id", "content", "feedback", "status"))


def as_visitor_of_a(w: World, *frames: dict) -> list[dict]:
    """Send `frames` on A's socket as A's visitor; the reply to each."""

    async def scenario() -> list[dict]:
        ws = socket(w.a)
        assert (await ws.connect())[0]
        assert (await hello(ws, w.token))["visitor"] == w.token
        replies = []
        for frame in frames:
            await ws.send_to(text_data=json.dumps(frame))
            replies.append(json.loads(await ws.receive_from(timeout=10)))
        await ws.disconnect()
        return replies

    return async_to_sync(scenario)()


@pytest.mark.parametrize("whose", ["b_conversation", "g_conversation", "member_conversation"])
def test_it_never_continues_or_shows_a_conversation_that_is_not_the_visitors(
    world: World, whose: str
) -> None:
    before = snapshot()
    shown, asked = as_visitor_of_a(
        world,
        {"action": "hello", "visitor": world.token, "conversation": getattr(world, whose)},
        {"action": "ask", "message": "And shipping?", "conversation": getattr(world, whose)},
    )
    assert shown["conversation"] == "" and shown["messages"] == []
    assert asked == {"type": "failed", "code": "not_found", "answer": None,
                     "message": "This conversation no longer exists. Start a new chat."}  # fmt: skip
    assert snapshot() == before


def test_it_keeps_thumbs_off_another_assistants_answers(world: World) -> None:
    before = snapshot()
    (reply,) = as_visitor_of_a(world, {"action": "feedback", "answer": world.b_answer, "value": "down"})
    assert reply["value"] == "" and snapshot() == before


def test_it_treats_another_assistants_visitor_token_as_a_stranger(world: World) -> None:
    async def scenario() -> dict:
        ws, greeting = await connected(world.b, visitor=world.token)  # A's token on B's widget
        await ws.disconnect()
        return greeting

    assert async_to_sync(scenario)()["visitor"] != world.token


@pytest.mark.parametrize(
    "case", ["b's socket", "globex's socket", "origin not allowed", "forged token", "no token", "host page"]
)
def test_it_refuses_sockets_without_a_valid_embedding(world: World, case: str) -> None:
    a_token = embed_token(world.a, SITE)
    ws = {
        "b's socket": lambda: socket(world.b, token=a_token),
        "globex's socket": lambda: socket(world.g, token=a_token),
        "origin not allowed": lambda: socket(world.a, "https://evil.example"),
        "forged token": lambda: socket(world.a, token=a_token[:-3] + "abc"),
        "no token": lambda: socket(world.a, token=""),
        "host page": lambda: socket(world.a, frame_origin=b"https://shop.example"),  # not from the iframe
    }[case]()
    connected, code = async_to_sync(ws.connect)()
    # The ASGI stack's origin check refuses the host page's own socket before the consumer sees it.
    assert not connected and code == (1000 if case == "host page" else 4403)


@pytest.mark.parametrize("path", ["/ws/t/acme/chat/", "/ws/t/acme/documents/"])
def test_it_refuses_visitor_credentials_on_staff_sockets(world: World, path: str) -> None:
    from channels.testing import WebsocketCommunicator

    from docuchat.asgi import application

    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
               (b"authorization", f"Bearer {world.token}".encode())]  # fmt: skip
    ws = WebsocketCommunicator(application, f"{path}?embed={embed_token(world.a, SITE)}", headers=headers)
    connected, code = async_to_sync(ws.connect)()
    assert not connected and code == 4403


@pytest.mark.parametrize(
    "path",
    ["/t/acme/chat/", "/t/acme/documents/", "/t/acme/usage/", "/t/acme/members/", "/t/acme/settings/"],
)
def test_it_refuses_visitor_credentials_on_staff_pages(world: World, path: str) -> None:
    response = Client().get(
        path, {"embed": embed_token(world.a, SITE)}, HTTP_AUTHORIZATION=f"Bearer {world.token}"
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_answers_only_from_the_assistants_documents(world: World) -> None:
    async def scenario() -> list[dict]:
        ws, _ = await connected(world.a, visitor=world.token)
        replies = await ask(ws, "What are the salary bands for engineers?")
        await ws.disconnect()
        return replies

    done = async_to_sync(scenario)()[-1]["answer"]
    assert all(s["title"] == "Handbook" for s in done["sources"])
    assert "gold coins" not in json.dumps(done)


def test_it_opens_only_the_cited_pages_of_the_assistants_documents(world: World) -> None:
    (_, reply) = as_visitor_of_a(
        world, {"action": "hello", "visitor": world.token, "conversation": world.mine},
        {"action": "hello", "visitor": world.token, "conversation": world.mine},
    )  # fmt: skip
    url = reply["messages"][1]["sources"][0]["url"]
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    import pypdfium2 as pdfium

    assert len(pdfium.PdfDocument(response.content)) == 1  # the cited page, not the whole handbook
    assert Client().get(url.replace(str(world.a.public_id), str(world.b.public_id))).status_code == 404
    world.a.visitors_open_pages = False
    world.a.save()
    assert Client().get(url).status_code == 404


def test_it_never_opens_pages_of_documents_outside_the_assistant(world: World) -> None:
    from widget.present import page_link

    source = {"document": str(world.salaries.public_id), "page_start": 1, "page_end": 1}
    assert Client().get(page_link(world.a, SITE, source)).status_code == 404  # signed, yet not A's
    source["document"] = str(world.handbook.public_id)
    assert Client().get(page_link(world.a, "https://evil.example", source)).status_code == 404
