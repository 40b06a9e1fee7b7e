"""The v1 API's request and response bodies, as the original backend's clients send and read them."""

from datetime import datetime

from ninja import Schema
from pydantic import Field


class Error(Schema):
    """Every error: a stable `code`, a sentence for people, and `detail` (the same sentence, where
    the original backend's clients read it)."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No such workspace."])
    detail: str = Field(examples=["No such workspace."])


class EmailIn(Schema):
    email: str = Field(examples=["ada@example.com"])


class CodeSent(Schema):
    message: str
    expires_in: int = Field(description="Seconds the code stays valid.")


class VerifyIn(Schema):
    email: str = Field(examples=["ada@example.com"])
    code: str = Field(examples=["123456"], description="The 6-digit code from the email.")


class TokenOut(Schema):
    access_token: str = Field(description="A JWT, valid for 7 days. Send it as `Authorization: Bearer ...`.")
    token_type: str = Field(examples=["bearer"])


class FileOut(Schema):
    id: str = Field(description="The document's id.")
    title: str
    status: str = Field(description="queued, processing, ready or failed.")
    pages: int
    chunks: int
    error: str = Field(description="Why indexing failed (empty unless `status` is failed).")
    created: datetime


class Duplicate(Error):
    file: FileOut = Field(description="The workspace's copy of this file.")


class UsageOut(Schema):
    tokens_24h: int = Field(description="Your tokens in this workspace over the last 24 hours.")
    tokens_7d: int = Field(description="...and over the last 7 days.")
    cost_usd_24h: str
    cost_usd_7d: str
