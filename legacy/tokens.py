"""The v1 API's bearer tokens: JWTs (HS256), as the original backend issued, valid for 7 days.

The signing key is derived from SECRET_KEY (a salted HMAC, so the token key is never the secret
itself); tokens signed under one of SECRET_KEY_FALLBACKS still verify while it is listed. A token
names its user and the user's `session_generation` at sign-in: "log out of all sessions" bumps
that counter, so every token issued before it stops working (legacy/access.py checks it, with
the user's being active and the membership, on every request and every socket message).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User

ALGORITHM = "HS256"
ISSUER = "docuchat"
AUDIENCE = "docuchat-v1"
LIFETIME = timedelta(days=7)
SALT = "legacy.tokens.v1-bearer"


class InvalidToken(Exception):
    """The token does not sign anyone in; str() says why, for the client."""


@dataclass(frozen=True)
class Claims:
    user_id: int
    generation: int


def _key(secret: str) -> bytes:
    return salted_hmac(SALT, "signing key", secret=secret, algorithm="sha256").digest()


def issue(user: User, now: Any = None) -> str:
    now = now or timezone.now()
    claims = {
        "sub": str(user.pk),
        "email": user.email,
        "gen": user.session_generation,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
    }
    return jwt.encode(claims, _key(settings.SECRET_KEY), algorithm=ALGORITHM)


def read(token: str) -> Claims:
    """The claims of a token this server signed and that is still in date, or InvalidToken."""
    if not token or len(token) > 4096:
        raise InvalidToken("The access token is missing or malformed. Sign in again.")
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            claims = jwt.decode(
                token, _key(secret), algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["sub", "gen", "exp", "iat"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The access token has expired. Sign in again.") from None
        except jwt.InvalidSignatureError:
            continue  # perhaps signed under a fallback key
        except jwt.PyJWTError:
            raise InvalidToken("The access token is missing or malformed. Sign in again.") from None
        return _claims(claims)
    raise InvalidToken("The access token is not valid. Sign in again.")


def _claims(claims: dict[str, Any]) -> Claims:
    try:
        user_id, generation = int(claims["sub"]), int(claims["gen"])
    except (TypeError, ValueError):
        raise InvalidToken("The access token is missing or malformed. Sign in again.") from None
    return Claims(user_id, generation)
