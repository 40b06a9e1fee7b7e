import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginCode, User
from docuchat.testing import Cast
from tenants.models import Membership

pytestmark = pytest.mark.django_db


def request_code(client: Client, email: str) -> str:
    response = client.post(reverse("accounts:login"), {"email": email})
    assert response.status_code == 302, response.content
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def submit(client: Client, code: str):
    return client.post(reverse("accounts:code"), {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_signs_a_member_in_with_the_emailed_code(client: Client, cast: Cast) -> None:
    code = request_code(client, "Owner@Acme.test ")
    assert mail.outbox[-1].to == ["owner@acme.test"]
    response = submit(client, code)
    assert response.status_code == 302
    assert client.get(response.url).url == "/t/acme/"
    assert client.get("/t/acme/").status_code == 200


def test_it_stores_codes_hashed(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    stored = LoginCode.objects.get(email="owner@acme.test")
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_it_refuses_a_wrong_code_and_counts_the_attempt(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    response = submit(client, wrong(code))
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert LoginCode.objects.get(email="owner@acme.test").attempts == 1
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_expired_code(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = submit(client, code)
    assert "That code has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_accepts_a_code_just_before_it_expires(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    with time_machine.travel(timezone.now() + timedelta(minutes=9, seconds=50)):
        assert submit(client, code).status_code == 302


def test_it_kills_the_code_after_five_wrong_tries(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    for _ in range(4):
        assert "not right" in submit(client, wrong(code)).content.decode()
    assert "Too many wrong tries" in submit(client, wrong(code)).content.decode()
    response = submit(client, code)  # even the right code is dead now
    assert "Too many wrong tries" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_accepts_a_code_only_once(client: Client, cast: Cast) -> None:
    code = request_code(client, "owner@acme.test")
    assert submit(client, code).status_code == 302
    other = Client()
    other.post(reverse("accounts:login"), {"email": "x@y.test"})  # a session with an email to check
    session = other.session
    session["login_email"] = "owner@acme.test"
    session.save()
    assert "expired" in submit(other, code).content.decode()


def test_it_retires_older_codes_when_a_new_one_is_sent(client: Client, cast: Cast) -> None:
    first = request_code(client, "owner@acme.test")
    second = request_code(client, "owner@acme.test")
    if first != second:
        assert "not right" in submit(client, first).content.decode()
    assert submit(client, second).status_code == 302


@override_settings(LOGIN_CODE_RATE_PER_EMAIL="3/h")
def test_it_rate_limits_code_requests_per_email(client: Client, cast: Cast) -> None:
    for _ in range(3):
        request_code(client, "owner@acme.test")
    response = client.post(reverse("accounts:login"), {"email": "owner@acme.test"})
    assert response.status_code == 429
    assert "Too many code requests" in response.content.decode()
    assert len(mail.outbox) == 3
    # another email from the same browser is not limited by the per-email limit
    assert client.post(reverse("accounts:login"), {"email": "member@acme.test"}).status_code == 302


@override_settings(LOGIN_CODE_RATE_PER_IP="4/h")
def test_it_rate_limits_code_requests_per_ip(client: Client, cast: Cast) -> None:
    for i in range(4):
        request_code(client, f"person{i}@acme.test")
    response = client.post(reverse("accounts:login"), {"email": "fresh@acme.test"})
    assert response.status_code == 429
    assert len(mail.outbox) == 4
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert elsewhere.post(reverse("accounts:login"), {"email": "fresh@acme.test"}).status_code == 302


def test_it_answers_unknown_and_known_emails_identically(cast: Cast) -> None:
    known, unknown = Client(), Client()
    r1 = known.post(reverse("accounts:login"), {"email": "owner@acme.test"})
    r2 = unknown.post(reverse("accounts:login"), {"email": "stranger@nowhere.test"})
    assert (r1.status_code, r1.url) == (r2.status_code, r2.url)
    page1 = known.get(r1.url).content.decode().replace("owner@acme.test", "EMAIL")
    page2 = unknown.get(r2.url).content.decode().replace("stranger@nowhere.test", "EMAIL")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"x-csrftoken": "[^"]+"')
    assert strip.sub("", page1) == strip.sub("", page2)
    assert len(mail.outbox) == 2  # both get a code; the unknown one can sign up with it
    assert not User.objects.filter(email="stranger@nowhere.test").exists()


def test_it_rejects_a_malformed_email_with_a_message(client: Client, db: None) -> None:
    response = client.post(reverse("accounts:login"), {"email": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert mail.outbox == []


def test_it_offers_a_new_user_to_create_a_workspace(client: Client, db: None) -> None:
    code = request_code(client, "founder@startup.test")
    response = submit(client, code)
    assert client.get(response.url).url == reverse("tenants:create")
    response = client.post(reverse("tenants:create"), {"name": "Startup Inc", "slug": ""})
    assert response.url == "/t/startup-inc/"
    membership = Membership.objects.get(tenant__slug="startup-inc")
    assert (membership.user.email, membership.role) == ("founder@startup.test", "owner")


def test_it_explains_a_taken_workspace_address(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)
    response = client.post(reverse("tenants:create"), {"name": "Acme", "slug": "acme"})
    assert "is taken" in response.content.decode()
    response = client.post(reverse("tenants:create"), {"name": "Admin", "slug": "admin"})
    assert "is reserved" in response.content.decode()
    response = client.post(reverse("tenants:create"), {"name": "x", "slug": "Bad Slug!"})
    assert "lowercase letters" in response.content.decode()


def test_it_shows_a_picker_to_a_user_with_several_workspaces(client: Client, cast: Cast) -> None:
    Membership.objects.create(tenant=cast.globex, user=cast.owner, role="member")
    client.force_login(cast.owner)
    response = client.get(reverse("tenants:home"))
    assert response.status_code == 200
    assert "Choose a workspace" in response.content.decode()
    assert "/t/acme/" in response.content.decode() and "/t/globex/" in response.content.decode()


def test_it_logs_out(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert client.post(reverse("accounts:logout")).url == reverse("accounts:login")
    assert client.get("/t/acme/").status_code == 302
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_it_returns_to_the_page_that_asked_for_login(client: Client, cast: Cast) -> None:
    response = client.get("/t/acme/members/")
    assert response.url.startswith("/login/?next=")
    client.get(response.url)
    code = request_code(client, "owner@acme.test")
    assert submit(client, code).url == "/t/acme/members/"
