"""With DEBUG off, an email backend that writes to the console or files must be meant."""

import pytest

from docuchat.tests.test_settings import start

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k" * 50}


@pytest.mark.parametrize("url", ["consolemail://", "filemail:///tmp/docuchat-mail"])
def test_it_refuses_to_start_when_sign_in_codes_would_go_to_the_logs(url: str) -> None:
    result = start(**PRODUCTION, EMAIL_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL is" in result.stderr
    assert "EMAIL_TO_LOGS_ALLOWED=true" in result.stderr


def test_it_starts_when_that_is_said_to_be_intended() -> None:
    assert start(**PRODUCTION, EMAIL_URL="consolemail://", EMAIL_TO_LOGS_ALLOWED="true").returncode == 0


def test_it_starts_with_an_smtp_server_and_in_development() -> None:
    assert start(**PRODUCTION, EMAIL_URL="smtp://mail.test:25/").returncode == 0
    assert start(DEBUG="true", EMAIL_URL="consolemail://").returncode == 0
