"""In real Chromium: an owner creates an assistant, writes and reorders its instructions (htmx),
switches one off, copies the embed snippet, and finds the website's conversation in the inbox."""

import pytest
from django.test import Client

from assistants.models import Assistant
from assistants.tests.conftest import website_conversation
from docuchat.testing import LiveApp, make_cast
from docuchat.tests.test_browser_every_page import sign_in
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lets_an_owner_set_up_an_assistant_and_read_its_conversations(page, live_app: LiveApp) -> None:
    cast = make_cast()
    client = Client()
    client.force_login(cast.owner)
    sign_in(page, live_app, client)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url)

    page.goto(f"{live_app.url}/t/acme/")
    page.click(".nav >> text=Assistants")
    page.wait_for_url("**/t/acme/assistants/")
    page.click("text=New assistant")
    page.fill("#id_name", "Support")
    page.fill("#id_allowed_origins", "shop.example")
    page.click("text=Create assistant")
    assert "needs its scheme: write https://shop.example" in page.inner_text(".field-invalid")
    page.fill("#id_allowed_origins", "https://shop.example")
    page.click("text=Create assistant")
    page.wait_for_url("**/t/acme/assistants/*/")
    support = Assistant.objects.get(tenant=cast.acme, name="Support")

    for text in ("Be brief.", "Cite the page."):
        page.fill("#new-block", text)
        page.click("text=Add instruction")
        page.wait_for_selector(f"#blocks textarea:has-text('{text}')")  # the panel swapped by htmx
    page.click("[aria-label='Move instruction 2 up']")
    page.wait_for_function("() => document.querySelector('#blocks textarea').value === 'Cite the page.'")
    page.locator(".block").nth(1).locator("text=Switch off").click()
    page.wait_for_selector(".block-off")
    assert support.config().instructions == "Cite the page."

    page.click("[data-copy-snippet]")
    page.wait_for_selector("[data-copy-snippet]:has-text('Copied')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    host = live_app.url.removeprefix("http://")
    # The test server is a local one, browsed over plain http: its script is on http too.
    assert copied == f'<script src="http://{host}/embed/{support.public_id}.js" async></script>'
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ASSISTANT_CHANGED).count() == 4

    website_conversation(support, [("Do you ship to Mars?", "Not covered.")], not_covered={0})
    page.click(".nav >> text=Conversations")
    page.wait_for_url("**/t/acme/conversations/")
    page.check("input[name=not_covered]")
    page.wait_for_url("**not_covered=on**")  # htmx kept the filter in the address
    page.click("text=Do you ship to Mars?")
    page.wait_for_url("**/t/acme/conversations/*/")  # loaded: htmx now handles the Save button
    page.wait_for_selector("text=Not answered from the documents")
    page.click("#content button:has-text('Save')")
    page.wait_for_selector("text=Saved ✓")
    page.click("text=Saved ✓")
    page.wait_for_url("**/t/acme/chat/saved/")
    assert "Do you ship to Mars?" in page.inner_text("#content")
