import re

import pytest

from docuchat.testing import LiveApp, make_cast


@pytest.mark.django_db(transaction=True)
def test_it_logs_in_with_the_emailed_code_and_lands_on_the_dashboard(page, live_app: LiveApp) -> None:
    make_cast()
    page.goto(f"{live_app.url}/")
    page.fill("input[name=email]", "owner@acme.test")
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code/")
    code = re.search(r"\b(\d{6})\b", live_app.emails()[-1]).group(1)
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_url("**/t/acme/")
    assert page.locator("h1").inner_text() == "Acme"
    nav = [
        "Overview",
        "Documents",
        "Chat",
        "Saved",
        "Conversations",
        "Usage",
        "Members",
        "Assistants",
        "Evaluation",
        "Settings",
        "Audit",
        "API",
        "keys",
    ]  # fmt: skip  (an owner's)
    assert page.locator(".nav").inner_text().split() == nav
    page.click("text=Members")
    page.wait_for_url("**/t/acme/members/")
    assert "member@acme.test" in page.content()
    assert page.evaluate("typeof htmx") == "object"  # served from our static/, allowed by our CSP
