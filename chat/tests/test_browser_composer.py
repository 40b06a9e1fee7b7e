"""In Chromium, the message box: a question over the limit is refused before it is sent (with the
limit, never cut short), "Search in" follows the ticked documents, and a tab whose session was
ended in another tab says so, with a link to sign in, instead of a Send that does nothing."""

from pathlib import Path

import pytest
from django.test import Client

from chat.models import Message
from chat.service import MAX_QUESTION_CHARS
from chat.tests.factories import make_document
from docuchat.testing import Cast, LiveApp, make_cast, start_live_app, stop_live_app

PAGES = ["Refund policy: customers may return any product within 30 days for a full refund."]


@pytest.fixture
def offline_app(transactional_db: None, settings, tmp_path: Path) -> tuple[Cast, LiveApp]:
    settings.OPENAI_API_KEY = ""
    cast = make_cast()
    make_document(cast.acme, "Customer handbook", PAGES)
    make_document(cast.acme, "Price list", ["Prices: the basic plan costs 10 euros a month."])
    app = start_live_app(tmp_path, extra_env={"OPENAI_API_KEY": "", "DATA_DIR": str(tmp_path)})
    yield cast, app
    stop_live_app(app)


def signed_in(page, app: LiveApp, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}
    page.context.add_cookies([cookie])


def test_it_says_a_pasted_question_is_over_the_limit_before_sending_it(
    offline_app: tuple[Cast, LiveApp], page
) -> None:
    cast, app = offline_app
    signed_in(page, app, cast.member)
    page.goto(f"{app.url}/t/acme/chat/")
    count = page.locator("#chat-count")
    assert not count.is_visible()

    long = "refund " * 2857 + "x"  # 20,000 characters
    page.locator("#chat-input").focus()
    page.fill("#chat-input", long)  # as a paste: one input event with all of it
    assert count.is_visible()
    assert count.inner_text() == (
        "This question has 20,000 characters; the limit is 4,000. Shorten it by 16,000 to send it."
    )
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Send").click()
    page.wait_for_timeout(500)
    assert page.locator(".msg-user").count() == 0 and not Message.objects.exists()
    assert len(page.input_value("#chat-input")) == 20_000  # nothing silently cut
    assert page.url == f"{app.url}/t/acme/chat/"  # and no plain form submission either

    page.fill("#chat-input", ("refund " * 600)[:MAX_QUESTION_CHARS])  # exactly the limit: sent
    assert count.inner_text() == "4,000 of 4,000 characters"
    page.keyboard.press("Enter")
    page.locator(".msg-user").wait_for()
    page.get_by_role("button", name="Send").wait_for()
    assert not count.is_visible()  # the box is empty again
    assert len(Message.objects.get(role=Message.Role.USER).content) == MAX_QUESTION_CHARS


def test_it_updates_the_search_in_label_as_documents_are_ticked(
    offline_app: tuple[Cast, LiveApp], page
) -> None:
    cast, app = offline_app
    signed_in(page, app, cast.member)
    page.goto(f"{app.url}/t/acme/chat/")
    label = page.locator(".doc-picker > summary")
    assert label.inner_text() == "Search in: all documents"
    label.click()
    page.get_by_label("Customer handbook").check()
    assert label.inner_text() == "Search in: 1 document"
    page.get_by_label("Price list").check()
    assert label.inner_text() == "Search in: 2 documents"
    page.get_by_label("Customer handbook").uncheck()
    page.get_by_label("Price list").uncheck()
    assert label.inner_text() == "Search in: all documents"


def test_it_tells_another_tab_that_its_session_ended(offline_app: tuple[Cast, LiveApp], page) -> None:
    cast, app = offline_app
    signed_in(page, app, cast.member)
    page.goto(f"{app.url}/t/acme/chat/")
    page.fill("#chat-input", "What is the refund policy?")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Send").wait_for()  # answered: the socket works
    page.locator(".msg-assistant .sources").wait_for()

    other_tab = page.context.new_page()
    other_tab.goto(f"{app.url}/account/")
    other_tab.get_by_role("button", name="Log out of all sessions").click()
    other_tab.wait_for_url("**/login/**")

    alert = page.locator("#chat-alert")
    alert.get_by_text("Your session has ended").wait_for()  # said at once, as the socket closes
    assert "not sent" not in alert.inner_text()
    page.fill("#chat-input", "And for services?")
    page.get_by_role("button", name="Send").click()
    said = alert.inner_text()
    assert "Your session has ended" in said and "Your question was not sent." in said
    link = alert.get_by_role("link", name="Sign in again")
    path = page.evaluate("location.pathname")
    assert link.get_attribute("href") == f"/login/?next={path.replace('/', '%2F')}"
    page.wait_for_timeout(500)
    assert Message.objects.filter(role=Message.Role.USER).count() == 1

    link.click()
    page.get_by_role("heading", name="Sign in").wait_for()
