import uuid
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.db import models
from django.utils import timezone

from documents.models import Document
from tenants.models import Tenant


class Source(TypedDict):
    """One numbered source of an answer, as stored in Message.sources (a JSON list of these)."""

    n: int  # the number the answer cites: [n]
    chunk: int  # Chunk id (the chunk may since have been re-indexed away)
    document: str  # Document.public_id
    title: str
    page_start: int
    page_end: int
    snippet: str
    page: NotRequired[int]  # the page of the cited passage (answers before it: page_start)


def cited_page(source: Source) -> int:
    """The page where the source's cited passage is: every door links and labels this page."""
    page, start, end = source.get("page"), source["page_start"], source["page_end"]
    return page if isinstance(page, int) and start <= page <= end else start


class ChatSessionQuerySet(models.QuerySet["ChatSession"]):
    def owned_by(self, tenant: Tenant, user: Any) -> "ChatSessionQuerySet":
        """A person's sessions in one tenant: nobody else's sessions are ever reachable."""
        return self.filter(tenant=tenant, user=user)


class ChatSession(models.Model):
    """One conversation in one tenant, of the caller that started it: a member (`user`), or a
    caller that is not a person (a website visitor, an API key), whose app links it here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="chat_sessions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_sessions",
    )
    # The assistant it is asked of; empty: the workspace's default (also once that one is deleted).
    assistant = models.ForeignKey(
        "assistants.Assistant", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_sessions"
    )
    # A website visitor's conversation (through the assistant's widget): owned by the visitor.
    visitor = models.ForeignKey(
        "widget.Visitor", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_sessions"
    )
    # Asked through an API key (api/): the conversation belongs to the key, and `user` is empty.
    api_key = models.ForeignKey(
        "api.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_sessions"
    )
    title = models.CharField(max_length=120)
    # One of ALLOWED_MODELS; empty means the tenant's default (or OPENAI_MODEL).
    model = models.CharField(max_length=100, blank=True)
    # When not empty, retrieval only searches these documents.
    documents = models.ManyToManyField(Document, blank=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        indexes = [
            # The chat page's left column: this person's sessions in the tenant, newest first.
            models.Index(fields=["tenant", "user", "-updated"], name="chatsession_owner_updated"),
        ]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Stopped"

    class Feedback(models.TextChoices):
        NONE = "", "None"
        UP = "up", "Helpful"
        DOWN = "down", "Not helpful"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)  # list[Source]
    model = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Milliseconds from receiving the question to the first token sent, and to the end.
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETE)
    error = models.CharField(max_length=500, blank=True)
    feedback = models.CharField(max_length=4, choices=Feedback.choices, blank=True, default=Feedback.NONE)
    # Set by the turn's final save (chat.service.finish): retrieval found nothing, so no model was
    # asked and the answer is the assistant's "not covered" text. The inbox filters on it, and the
    # analytics count it and group these questions.
    not_covered = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            # Showing a conversation, and the recent turns that go into the prompt.
            models.Index(fields=["session", "created"], name="message_session_created"),
            # The recovery sweep's answers still streaming long after they began (chat.service.
            # fail_abandoned): only the few rows streaming right now are in it.
            models.Index(
                fields=["created"], condition=models.Q(status="streaming"), name="message_streaming_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"

    @property
    def is_assistant(self) -> bool:
        return self.role == self.Role.ASSISTANT


class SavedAnswer(models.Model):
    """An answer a member saved to the workspace's Saved list: a copy of the question, the answer and
    its sources, so that it stays when its conversation is deleted. Every member sees the list."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="saved_answers")
    # The answer it was saved from, while that still exists (saving it again changes nothing).
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField(blank=True)
    answer = models.TextField()
    sources = models.JSONField(default=list, blank=True)  # list[Source]
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "message"], name="savedanswer_once_per_message"),
        ]
        indexes = [
            # The Saved page: a workspace's saved answers, newest first.
            models.Index(fields=["tenant", "-created"], name="savedanswer_tenant_created"),
        ]

    def __str__(self) -> str:
        return self.question[:40] or self.answer[:40]
