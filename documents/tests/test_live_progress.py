"""Progress reaches the tenant's open Documents pages over its socket, and nobody else's."""

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from docuchat.asgi import application
from docuchat.testing import Cast, socket_headers
from documents import live, pipeline
from documents.models import Document
from documents.tests import pdfs
from documents.tests.conftest import make_document

pytestmark = pytest.mark.django_db(transaction=True)


def socket(user: Any, slug: str = "acme") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/t/{slug}/documents/", headers=socket_headers(user))


async def frames_until(ws: WebsocketCommunicator, text: str) -> list[str]:
    frames = [await ws.receive_from(timeout=10)]
    while text not in frames[-1]:
        frames.append(await ws.receive_from(timeout=10))
    return frames


def test_it_relays_a_documents_state_to_its_tenants_pages(cast: Cast) -> None:
    document = make_document(cast)
    ws = socket(cast.member)

    async def scenario() -> str:
        connected, _ = await ws.connect()
        assert connected
        await sync_to_async(live.push_state)(document)
        frame = await ws.receive_from(timeout=5)
        await ws.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert f'<div id="doc-{document.public_id}-status"' in frame and 'hx-swap-oob="true"' in frame
    assert f'<span id="doc-{document.public_id}-pages" hx-swap-oob="true">3</span>' in frame


def test_it_has_open_lists_fetch_their_rows_again_when_a_document_fails(cast: Cast) -> None:
    """The failed row's action becomes Retry, and actions depend on who looks: each list fetches its own."""
    document = make_document(cast)
    document.status = Document.Status.FAILED
    document.save(update_fields=["status"])
    ws = socket(cast.member)

    async def scenario() -> str:
        assert (await ws.connect())[0]
        await sync_to_async(live.push_state)(document)
        frame = await ws.receive_from(timeout=5)
        await ws.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert f'<div id="doc-{document.public_id}-status"' in frame
    assert '<div id="doc-refresh" hidden hx-swap-oob="true"' in frame


def test_it_never_sends_a_tenants_progress_to_another_tenants_socket(cast: Cast) -> None:
    document = make_document(cast)
    ours, theirs = socket(cast.member), socket(cast.other, "globex")

    async def scenario() -> None:
        assert (await ours.connect())[0] and (await theirs.connect())[0]
        await sync_to_async(live.push_state)(document)
        await sync_to_async(live.push_list_changed)(cast.acme)
        assert str(document.public_id) in await ours.receive_from(timeout=5)
        assert await theirs.receive_nothing(timeout=0.5)
        await ours.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("who", ["other", "outsider", "anonymous"])
def test_it_refuses_sockets_of_anyone_outside_the_tenant(cast: Cast, who: str) -> None:
    user = None if who == "anonymous" else getattr(cast, who)
    ws = socket(user)

    async def scenario() -> tuple[bool, Any]:
        connected, code = await ws.connect()
        if connected:
            output = await ws.receive_output(timeout=2)
            return False, output.get("code")
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected and code == 4403


def test_it_streams_the_pipelines_progress_from_queued_to_ready(cast: Cast) -> None:
    document = make_document(cast, pdfs.text_pdf(6))
    ws = socket(cast.owner)

    async def scenario() -> list[str]:
        assert (await ws.connect())[0]
        await sync_to_async(pipeline.ingest)(document.pk)
        frames = await frames_until(ws, 'data-status="ready"')
        await ws.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    assert 'data-status="processing"' in frames[0] and "Reading page 0 of 6" in frames[0]
    assert any("Embedding 0 of" in frame for frame in frames)
    assert 'data-status="ready"' in frames[-1]
    assert len(frames) <= 6  # throttled: status changes plus at most a few progress ticks a second


def test_it_tells_open_lists_to_fetch_their_rows_when_documents_come_or_go(cast: Cast) -> None:
    ws = socket(cast.member)

    async def scenario() -> str:
        assert (await ws.connect())[0]
        await sync_to_async(live.push_list_changed)(cast.acme)
        frame = await ws.receive_from(timeout=5)
        await ws.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert 'id="doc-refresh"' in frame and 'hx-get="/t/acme/documents/"' in frame
    # Each open list fetches itself again as it shows it (search, sort, page): #doc-state.
    assert 'hx-trigger="load, doc-refresh"' in frame and 'hx-include="#doc-state"' in frame


def test_it_throttles_progress_but_never_a_forced_update() -> None:
    throttle = live.Throttle(per_second=4)
    assert throttle.ready()
    assert not throttle.ready()
    assert throttle.ready(force=True)
