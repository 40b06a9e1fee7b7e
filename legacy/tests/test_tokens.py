"""A v1 token signs its user in for 7 days, until they log out of all sessions or are disabled."""

from datetime import timedelta

import jwt
import pytest
import time_machine
from django.utils import timezone

from accounts.sessions import end_all_sessions
from docuchat.testing import Cast
from legacy import tokens
from legacy.tests.v1 import api, token_for

pytestmark = pytest.mark.django_db


def usage_status(token: str) -> tuple[int, dict]:
    response = api(token=token).get("/v1/usage")
    return response.status_code, response.json()


def test_it_accepts_its_own_token(cast: Cast) -> None:
    assert usage_status(token_for(cast.member))[0] == 200


def test_it_asks_for_a_token_when_there_is_none(cast: Cast) -> None:
    response = api(None).get("/v1/usage")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"
    assert "Authorization: Bearer" in response.json()["message"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature changed
        lambda t: t.split(".")[0] + "." + t.split(".")[1][:-2] + "xx." + t.split(".")[2],  # claims changed
        lambda t: "not-a-jwt",
        lambda t: "",
        lambda t: "a.b.c",
    ],
    ids=["signature", "claims", "garbage", "empty", "three-parts"],
)
def test_it_refuses_a_tampered_or_malformed_token(cast: Cast, mangle) -> None:
    status, body = usage_status(mangle(token_for(cast.member)))
    assert status == 401
    assert body["code"] == "unauthorized"


def test_it_refuses_a_token_signed_with_another_key_or_none(cast: Cast) -> None:
    claims = jwt.decode(token_for(cast.member), options={"verify_signature": False})
    forged = jwt.encode(claims, "a-guessed-key-that-is-long-enough-for-hs256!", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert usage_status(forged)[0] == 401
    assert usage_status(unsigned)[0] == 401


def test_it_refuses_a_token_after_7_days(cast: Cast) -> None:
    token = token_for(cast.member)
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=5)):
        status, body = usage_status(token)
    assert status == 401
    assert body["message"] == "The access token has expired. Sign in again."
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert usage_status(token)[0] == 200


def test_it_refuses_every_earlier_token_once_the_user_logs_out_of_all_sessions(cast: Cast) -> None:
    token = token_for(cast.member)
    end_all_sessions(cast.member)
    status, body = usage_status(token)
    assert status == 401
    assert "no longer signs you in" in body["message"]
    assert usage_status(token_for(cast.member))[0] == 200  # signing in again works


def test_it_refuses_a_token_of_a_disabled_user(cast: Cast) -> None:
    token = token_for(cast.member)
    cast.member.is_active = False
    cast.member.save()
    assert usage_status(token)[0] == 401


def test_it_still_reads_tokens_signed_before_the_secret_key_was_rotated(cast: Cast, settings) -> None:
    token = token_for(cast.member)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert usage_status(token)[0] == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert usage_status(token)[0] == 401


def test_its_signing_key_is_not_the_secret_key_itself(cast: Cast, settings) -> None:
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token_for(cast.member), settings.SECRET_KEY, algorithms=["HS256"], audience="docuchat-v1")
    assert tokens.read(token_for(cast.member)).generation == 0
