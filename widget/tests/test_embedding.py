"""The snippet's script and the iframe: cached script, frame-ancestors for allowed origins only,
no cookies, and a refusal everywhere else."""

from urllib.parse import quote

import pytest
from django.test import Client

from assistants.models import Assistant
from docuchat.testing import Cast
from widget.embedding import normalize_origin, read_embed_token
from widget.tests.helpers import SITE, live

pytestmark = pytest.mark.django_db


def frame(assistant: Assistant, origin: str = SITE, **headers: str):
    return Client().get(f"/widget/{assistant.public_id}/", {"origin": origin}, **headers)


def test_it_serves_a_cached_dependency_free_script_with_the_assistants_look(cast: Cast) -> None:
    assistant = live(cast.acme, title="Help desk", accent_color="#ff0066", position="left", theme="dark")
    response = Client().get(f"/embed/{assistant.public_id}.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600, stale-while-revalidate=86400"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    body = response.content.decode()
    assert f'"id": "{assistant.public_id}"' in body and '"title": "Help desk"' in body
    assert '"accent": "#ff0066"' in body and '"position": "left"' in body and '"theme": "dark"' in body
    assert "import " not in body and "require(" not in body and "Set-Cookie" not in response.headers
    again = Client().get(f"/embed/{assistant.public_id}.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_it_refuses_an_unsafe_accent_in_the_script(cast: Cast) -> None:
    assistant = live(cast.acme, accent_color='"</x')
    body = Client().get(f"/embed/{assistant.public_id}.js").content.decode()
    assert '"accent": "#2563eb"' in body and "</x" not in body


def test_it_serves_an_inert_script_when_the_widget_is_off_and_404_for_no_assistant(cast: Cast) -> None:
    assistant = live(cast.acme, origins=[])
    body = Client().get(f"/embed/{assistant.public_id}.js").content.decode()
    assert "switched off" in body and "iframe" not in body
    missing = Client().get("/embed/00000000-0000-0000-0000-000000000000.js")
    assert missing.status_code == 404


def test_it_lets_only_the_allowed_origin_frame_the_widget(cast: Cast) -> None:
    assistant = live(cast.acme, origins=["https://shop.example", "http://localhost:8130"])
    response = frame(assistant, HTTP_SEC_FETCH_DEST="iframe", HTTP_REFERER="https://shop.example/help")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example;" in policy + ";" and "localhost" not in policy
    assert "X-Frame-Options" not in response.headers and "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"
    token = response.context["config"]["embed"]
    assert read_embed_token(token).origin == SITE and read_embed_token(token).assistant == str(
        assistant.public_id
    )


@pytest.mark.parametrize(
    ("origin", "headers"),
    [
        ("https://evil.example", {}),  # not listed
        ("https://shop.example.evil.example", {}),
        ("null", {}),
        (SITE, {"HTTP_SEC_FETCH_DEST": "document"}),  # opened on its own, not in a frame
        (SITE, {"HTTP_REFERER": "https://evil.example/page"}),  # framed by another site
    ],
)
def test_it_refuses_the_frame_anywhere_else(cast: Cast, origin: str, headers: dict[str, str]) -> None:
    assistant = live(cast.acme)
    response = frame(assistant, origin, **headers)
    assert response.status_code == 403
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert b"not available on this site" in response.content and b"dc-config" not in response.content


def test_it_refuses_the_frame_when_the_list_is_empty_or_the_switch_is_off(cast: Cast) -> None:
    assert frame(live(cast.acme, origins=[])).status_code == 403
    assert frame(live(cast.acme, widget_enabled=False)).status_code == 403
    assert Client().get("/widget/00000000-0000-0000-0000-000000000000/", {"origin": SITE}).status_code == 404


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Shop.Example/", "https://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://localhost:8130", "http://localhost:8130"),
        ("https://shop.example/path", ""),
        ("javascript:alert(1)", ""),
        ("https://user@shop.example", ""),
        ("shop.example", ""),
    ],
)
def test_it_compares_origins_in_one_form(given: str, expected: str) -> None:
    assert normalize_origin(given) == expected


@pytest.mark.parametrize(
    "nasty", ["\ud800", "%00", "x" * 3000, "https://shop.example:99999", "http://[::1", "é"]
)
def test_it_refuses_nasty_origins_and_page_links_without_an_error(cast: Cast, nasty: str) -> None:
    assistant = live(cast.acme)
    raw = quote(nasty.encode("utf-8", "surrogatepass"), safe="")  # as a raw client sends it
    assert Client().get(f"/widget/{assistant.public_id}/?origin={raw}").status_code in (400, 403)
    assert Client().get(f"/widget/{assistant.public_id}/pages/{raw[:600]}/").status_code in (400, 404)


def test_it_answers_a_damaged_stored_pdf_with_a_404(cast: Cast, settings, tmp_path) -> None:
    from django.core.files.base import ContentFile

    from chat.tests.factories import make_document
    from widget.present import page_link

    settings.MEDIA_ROOT = tmp_path
    document = make_document(cast.acme, "Broken", ["Some text."])
    document.file.save("broken.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    assistant = live(cast.acme, visitors_open_pages=True)
    source = {"document": str(document.public_id), "page_start": 1, "page_end": 1}
    assert Client().get(page_link(assistant, SITE, source)).status_code == 404
