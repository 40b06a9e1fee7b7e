"""An operator's log: a refusal (403) is one line, a server error keeps its traceback."""

import logging
import sys

import pytest
from django.test import Client

from docuchat.testing import Cast

pytestmark = pytest.mark.django_db


def test_it_logs_a_refused_page_as_one_line_without_a_traceback(
    client: Client, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(cast.member)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/t/acme/settings/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Forbidden (Permission denied): /t/acme/settings/"]
    assert records[0].exc_info is None and "Traceback" not in caplog.text


def test_it_keeps_the_traceback_of_a_server_error(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("broken")
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            logging.getLogger("django.request").error(
                "Internal Server Error: /", exc_info=sys.exc_info(), extra={"status_code": 500}
            )
    assert caplog.records[-1].exc_info is not None and "RuntimeError: broken" in caplog.text


def test_it_answers_another_workspace_with_404_not_403(client: Client, cast: Cast) -> None:
    client.force_login(cast.other)
    assert client.get("/t/acme/settings/").status_code == 404
