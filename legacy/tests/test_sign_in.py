"""Sign-in through the v1 API: the web sign-in's hashed, expiring, attempt-limited codes and limits."""

import re
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import LoginCode, User
from docuchat.testing import Cast
from legacy import tokens

pytestmark = pytest.mark.django_db


def request_code(client: Client, email: str, **headers: str):
    return client.post("/v1/auth/request-code", {"email": email}, content_type="application/json", **headers)


def verify(client: Client, email: str, code: str):
    return client.post(
        "/v1/auth/verify-code", {"email": email, "code": code}, content_type="application/json"
    )


def emailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_emails_a_code_and_exchanges_it_for_a_bearer_token_valid_for_7_days(
    client: Client, cast: Cast
) -> None:
    response = request_code(client, " Member@Acme.test")
    assert response.status_code == 200
    assert response.json()["expires_in"] == 600
    assert mail.outbox[-1].to == ["member@acme.test"]
    code = emailed_code()
    assert code not in LoginCode.objects.get(email="member@acme.test").code_hash  # stored hashed

    response = verify(client, "member@acme.test", code)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert claims["sub"] == str(cast.member.pk)
    assert tokens.read(body["access_token"]).user_id == cast.member.pk
    assert verify(client, "member@acme.test", code).json()["code"] == "expired_code"  # works once


def test_it_creates_the_account_on_first_sign_in_as_the_web_does(client: Client, db: None) -> None:
    request_code(client, "new@example.test")
    assert verify(client, "new@example.test", emailed_code()).status_code == 200
    assert User.objects.filter(email="new@example.test").exists()


def test_it_refuses_a_wrong_code_and_locks_it_after_too_many_tries(client: Client, cast: Cast) -> None:
    request_code(client, "member@acme.test")
    code = emailed_code()
    for _ in range(4):
        response = verify(client, "member@acme.test", wrong(code))
        assert (response.status_code, response.json()["code"]) == (400, "wrong_code")
        assert response.json()["message"] == "That code is not right. Check the email and try again."
    assert verify(client, "member@acme.test", wrong(code)).json()["code"] == "locked_code"
    response = verify(client, "member@acme.test", code)  # even the right one, now
    assert (response.status_code, response.json()["code"]) == (400, "locked_code")
    assert response.json()["message"] == "Too many wrong tries. Ask for a new code."


def test_it_refuses_an_expired_code(client: Client, cast: Cast) -> None:
    request_code(client, "member@acme.test")
    code = emailed_code()
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = verify(client, "member@acme.test", code)
    assert (response.status_code, response.json()["code"]) == (400, "expired_code")
    assert response.json()["message"] == "That code has expired. Ask for a new one."


def test_it_refuses_a_disabled_account(client: Client, cast: Cast) -> None:
    User.objects.filter(pk=cast.member.pk).update(is_active=False)
    request_code(client, "member@acme.test")
    response = verify(client, "member@acme.test", emailed_code())
    assert response.status_code == 403
    assert response.json()["message"] == "This account is disabled. Contact your workspace owner."


def test_it_counts_code_requests_per_email_with_the_web_sign_in(client: Client, cast: Cast, settings) -> None:
    settings.LOGIN_CODE_RATE_PER_EMAIL = "2/15m"
    assert Client().post("/login/", {"email": "member@acme.test"}).status_code == 302  # the web page
    assert request_code(client, "member@acme.test").status_code == 200
    sent = len(mail.outbox)

    response = request_code(client, "MEMBER@acme.test")

    assert response.status_code == 429
    assert response.json() == {
        "code": "rate_limited",
        "message": "Too many code requests. Please wait a few minutes before asking for another code.",
        "detail": "Too many code requests. Please wait a few minutes before asking for another code.",
    }
    assert len(mail.outbox) == sent  # no email went out
    assert request_code(client, "owner@acme.test").status_code == 200  # another address is not limited


def test_it_counts_code_requests_per_client_ip(client: Client, cast: Cast, settings) -> None:
    settings.LOGIN_CODE_RATE_PER_IP = "2/h"
    assert request_code(client, "a@example.test", REMOTE_ADDR="203.0.113.5").status_code == 200
    assert request_code(client, "b@example.test", REMOTE_ADDR="203.0.113.5").status_code == 200
    assert request_code(client, "c@example.test", REMOTE_ADDR="203.0.113.5").status_code == 429
    assert request_code(client, "d@example.test", REMOTE_ADDR="198.51.100.1").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"email": "not an email"}, 400, "email: Enter a valid email address."),
        ({"email": "a\x00@example.test"}, 400, "email: Enter a valid email address."),
        ({}, 422, "email: Field required"),
        ({"email": 5}, 422, "email: Input should be a valid string"),
    ],
)
def test_it_answers_bad_sign_in_input_with_json_errors(
    client: Client, db: None, body: dict, status: int, message: str
) -> None:
    response = client.post("/v1/auth/request-code", body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["message"] == message
    assert response.json()["code"] == "invalid"


def test_it_answers_a_body_that_is_not_json_with_a_json_error(client: Client, db: None) -> None:
    response = client.post("/v1/auth/verify-code", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["code"] == "invalid"


def test_it_refuses_a_code_that_is_not_six_digits(client: Client, cast: Cast) -> None:
    response = verify(client, "member@acme.test", "12ab")
    assert response.status_code == 400
    assert response.json()["message"].startswith("code: ")
