"""The API's typed shapes (pydantic, through django-ninja): what goes in and what comes out."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema


class Error(Schema):
    code: str
    message: str


class DocumentOut(Schema):
    id: UUID
    title: str
    status: str
    pages: int
    chunks: int
    error: str
    created: datetime


class DocumentPage(Schema):
    items: list[DocumentOut]
    count: int
    page: int
    pages: int


class SourceOut(Schema):
    n: int
    document: str
    title: str
    page: int
    snippet: str
    url: str


class TokenUsage(Schema):
    prompt_tokens: int
    completion_tokens: int


class ChatIn(Schema):
    question: str = Field(..., description="The question, as the person asked it.")
    assistant: str | None = Field(None, description="An assistant's id, for a new conversation.")
    conversation: str | None = Field(None, description="The id of a conversation of this key's to continue.")
    stream: bool = Field(
        False, description="Stream Server-Sent Events (also with Accept: text/event-stream)."
    )


class ChatOut(Schema):
    answer: str
    conversation: str
    sources: list[SourceOut]
    usage: TokenUsage


class MessageOut(Schema):
    id: str
    role: str
    content: str
    status: str
    sources: list[SourceOut]
    created: datetime


class ConversationOut(Schema):
    id: str
    title: str
    assistant: str | None
    created: datetime
    updated: datetime
    messages: list[MessageOut]


class UsageTotals(Schema):
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    cost: Decimal
    calls: int


class UsageDay(UsageTotals):
    day: date


class UsageOut(Schema):
    since: date
    until: date
    totals: UsageTotals
    days: list[UsageDay]


class AssistantOut(Schema):
    id: str
    name: str
    description: str
    default: bool
    model: str
    instructions: str
    all_documents: bool
    documents: list[str]
    widget_enabled: bool
    allowed_origins: list[str]
    created: datetime


class SnippetOut(Schema):
    id: str
    snippet: str
    widget_enabled: bool
    allowed_origins: list[str]


class AssistantIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    description: str = Field("", max_length=300)
    model: str = Field(
        "", max_length=100, description="One of the server's allowed models; empty: the default."
    )
    instructions: str = Field("", max_length=10_000)
    documents: list[str] | None = Field(None, description="Document ids it answers from; null: all of them.")
    widget_enabled: bool = True
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)


class AssistantPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    description: str | None = Field(None, max_length=300)
    model: str | None = Field(None, max_length=100)
    instructions: str | None = Field(None, max_length=10_000)
    documents: list[str] | None = None
    all_documents: bool | None = None
    widget_enabled: bool | None = None
    allowed_origins: list[str] | None = Field(None, max_length=50)
