import re

import pytest

from docuchat.testing import LiveApp, make_cast
from tenants.models import Membership


def latest_email_to(live_app: LiveApp, address: str) -> str:
    return [e for e in live_app.emails() if f"To: {address}" in e][-1]


@pytest.mark.django_db(transaction=True)
def test_it_lets_an_owner_invite_a_colleague_who_joins_and_sees_the_documents(
    page, live_app: LiveApp
) -> None:
    make_cast()
    # The owner signs in and invites a colleague as admin.
    page.goto(f"{live_app.url}/login/")
    page.fill("input[name=email]", "owner@acme.test")
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code/")
    page.fill(
        "input[name=code]", re.search(r"\b(\d{6})\b", latest_email_to(live_app, "owner@acme.test")).group(1)
    )
    page.click("button[type=submit]")
    page.wait_for_url("**/t/acme/")
    page.click(".nav >> text=Members")
    page.wait_for_url("**/t/acme/members/")
    page.fill("input[name=email]", "colleague@acme.test")
    page.select_option("select[name=role]", "admin")
    page.click("text=Send invitation")
    page.wait_for_selector("#team .alert-ok")  # swapped in by htmx
    assert "Invitation sent to colleague@acme.test as admin." in page.inner_text("#team .alert-ok")
    assert page.locator("tr[data-invitation='colleague@acme.test']").count() == 1

    # The colleague, in another browser, opens the link from the email.
    invitation = latest_email_to(live_app, "colleague@acme.test")
    link = re.search(r"(http://\S+/invite/\S+/)", invitation).group(1)
    guest = page.context.browser.new_context()
    colleague = guest.new_page()
    colleague.goto(link)
    colleague.wait_for_url("**/invite/")
    assert "Join Acme" in colleague.inner_text("h1")
    colleague.click("text=Sign in as colleague@acme.test to join")
    colleague.wait_for_url("**/login/?next=*")
    assert colleague.input_value("input[name=email]") == "colleague@acme.test"
    colleague.click("button[type=submit]")
    colleague.wait_for_url("**/login/code/")
    code = re.search(
        r"\b(\d{6})\b", latest_email_to(live_app, "colleague@acme.test").split("sign-in code")[-1]
    )
    colleague.fill("input[name=code]", code.group(1))
    colleague.click("button[type=submit]")

    # They land on the workspace, as a member of it, and see its Documents page.
    colleague.wait_for_url("**/t/acme/")
    assert "Welcome to Acme" in colleague.inner_text(".flash")
    colleague.click(".nav >> text=Documents")
    colleague.wait_for_url("**/t/acme/documents/")
    assert colleague.locator("h1").first.inner_text() == "Documents"
    assert Membership.objects.get(tenant__slug="acme", user__email="colleague@acme.test").role == "admin"
    guest.close()
