from django.test import RequestFactory, override_settings

from docuchat.lib.client_ip import client_ip, resolve, scope_client_ip

PROXIES = ["10.0.0.0/8", "127.0.0.1"]


def test_it_ignores_forwarded_for_from_an_untrusted_peer() -> None:
    assert resolve("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"


def test_it_believes_a_trusted_proxy_and_reads_from_the_right() -> None:
    # The client forged the first entry; the proxy appended the address it saw.
    assert resolve("10.1.2.3", "6.6.6.6, 198.51.100.7", PROXIES) == "198.51.100.7"


def test_it_skips_a_chain_of_trusted_proxies() -> None:
    assert resolve("127.0.0.1", "198.51.100.7, 10.0.0.5", PROXIES) == "198.51.100.7"


def test_it_falls_back_to_the_peer_when_the_header_is_garbage() -> None:
    assert resolve("10.1.2.3", "not-an-ip", PROXIES) == "10.1.2.3"


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_it_reads_requests_and_asgi_scopes() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.4")
    assert client_ip(request) == "192.0.2.4"
    scope = {"client": ("10.0.0.1", 5555), "headers": [(b"x-forwarded-for", b"192.0.2.5")]}
    assert scope_client_ip(scope) == "192.0.2.5"


def test_it_uses_the_peer_when_no_proxy_is_trusted() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.4")
    assert client_ip(request) == "10.0.0.1"
