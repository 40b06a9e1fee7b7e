import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from docuchat.testing import Cast


def tenant_urls() -> list[str]:
    """Every URL under /t/<tenant_slug>/ that needs no other argument, for tenant 'acme'."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif "<slug:tenant_slug>" in route and route.count("<") == 1:
                found.append("/" + route.replace("<slug:tenant_slug>", "acme"))

    walk(get_resolver().url_patterns, "")
    return found


def test_it_finds_the_tenant_urls() -> None:
    urls = tenant_urls()
    assert {"/t/acme/", "/t/acme/documents/", "/t/acme/chat/", "/t/acme/usage/", "/t/acme/members/"} <= set(
        urls
    )


def test_it_serves_every_tenant_url_to_an_owner(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    for url in tenant_urls():
        response = client.get(url)
        if response.status_code == 405:  # an action such as /members/leave/: POST only
            assert response["Allow"] == "POST", url
        else:
            assert response.status_code == 200, url


def test_it_gives_404_to_another_tenants_user_on_every_tenant_url(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    for url in tenant_urls():
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


def test_it_gives_404_to_a_user_in_no_tenant(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)
    for url in tenant_urls():
        assert client.get(url).status_code == 404, url


def test_it_gives_the_same_404_for_a_tenant_that_does_not_exist(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    hidden = client.get("/t/acme/")
    missing = client.get("/t/no-such-tenant/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(hidden.content) == without_csrf_tokens(missing.content)


def without_csrf_tokens(html: bytes) -> bytes:
    """The page with its CSRF tokens blanked: each response masks the token afresh."""
    return re.sub(rb'(csrfmiddlewaretoken" value="|"x-csrftoken": ")[^"]+', rb"\1", html)


def test_it_sends_anonymous_users_to_login_on_every_tenant_url(client: Client, cast: Cast) -> None:
    for url in tenant_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/login/?next="), url


def test_it_shows_only_the_users_workspaces_in_the_switcher(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get("/t/acme/").content.decode()
    assert "Acme" in page
    assert "Globex" not in page and "/t/globex/" not in page


def test_it_lists_only_this_tenants_members(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get("/t/acme/members/").content.decode()
    assert "member@acme.test" in page
    assert "boss@globex.test" not in page
