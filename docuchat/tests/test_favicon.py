"""A favicon from static/: named by every page, and at /favicon.ico for everything else."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_names_the_icons_in_every_page(client: Client) -> None:
    html = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico" sizes="48x48">' in html
    assert '<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">' in html


def test_it_serves_the_icon_from_static(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == "/static/favicon.ico"
    icon = client.get("/static/favicon.ico")
    assert icon.status_code == 200 and b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"
