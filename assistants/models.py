"""Assistants: what a workspace's documents answer as, for its members and on its website.

Every workspace has a default assistant (created with the workspace, see signals.py); owners and
admins add more. The turn pipeline never reads these rows itself: `Assistant.config()` gives it
a `chat.callers.AssistantConfig` through the caller (apps depend inward).
"""

import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from chat.callers import AssistantConfig
from documents.models import Document
from tenants.models import Tenant

BLOCK_CHARS = 500
MAX_BLOCKS = 20
MAX_SUGGESTIONS = 4
SUGGESTION_CHARS = 120
DEFAULT_NAME = "Assistant"


class Assistant(models.Model):
    class Position(models.TextChoices):
        RIGHT = "right", "Bottom right"
        LEFT = "left", "Bottom left"

    class Theme(models.TextChoices):
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="assistants")
    is_default = models.BooleanField(default=False, editable=False)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    # The documents it answers from: every ready document of the workspace, or only `documents`.
    all_documents = models.BooleanField(default=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="+")
    # One of ALLOWED_MODELS; empty means OPENAI_MODEL.
    model = models.CharField(max_length=100, blank=True)
    greeting = models.CharField(max_length=500, blank=True)
    suggestions = models.JSONField(default=list, blank=True)  # list[str], up to MAX_SUGGESTIONS
    # Said instead of an answer when the documents do not cover a question ("" = the default text).
    not_covered = models.CharField(max_length=500, blank=True)
    contact_url = models.URLField(max_length=300, blank=True)
    # Website visitors may open the cited pages of a PDF; otherwise they see the quoted snippets only.
    visitors_open_pages = models.BooleanField(default=False)

    # The website widget. It works only while switched on and embedded by a listed origin.
    widget_enabled = models.BooleanField(default=True)
    allowed_origins = models.JSONField(default=list, blank=True)  # list[str]: "https://shop.example"
    visitor_daily_messages = models.PositiveIntegerField(default=50)
    conversation_messages = models.PositiveIntegerField(default=30)
    ip_minute_messages = models.PositiveIntegerField(default=10)
    # Inside the workspace's budget; empty means no budget of its own. Widget usage only.
    monthly_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    monthly_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The widget's look.
    title = models.CharField(max_length=60, blank=True)  # "" = the assistant's name
    accent_color = models.CharField(max_length=7, default="#2563eb")
    position = models.CharField(max_length=5, choices=Position.choices, default=Position.RIGHT)
    theme = models.CharField(max_length=5, choices=Theme.choices, default=Theme.LIGHT)

    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="assistant_one_default"
            ),
        ]
        indexes = [
            # The Assistants page and the chat's picker: a workspace's assistants, default first.
            models.Index(fields=["tenant", "-is_default", "name"], name="assistant_tenant_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def widget_title(self) -> str:
        return self.title or self.name

    @property
    def widget_live(self) -> bool:
        """Switched on and embeddable somewhere: an empty origin list means the widget is off."""
        return self.widget_enabled and bool(self.allowed_origins)

    def instructions_text(self) -> str:
        """The switched-on blocks, in order, as one text for the system prompt."""
        blocks = self.instruction_blocks.all()  # ordered by position; prefetched by listings
        return self.joined_instructions([b.text for b in blocks if b.enabled])

    @staticmethod
    def joined_instructions(texts: list[str]) -> str:
        """Switched-on blocks' texts, in order, as one text (assistants.directory reads them too)."""
        return "\n\n".join(t.strip() for t in texts if t.strip())

    def document_ids(self) -> frozenset[int] | None:
        if self.all_documents:
            return None
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("documents")
        if prefetched is not None:
            return frozenset(d.pk for d in prefetched)
        return frozenset(self.documents.values_list("pk", flat=True))

    def config(self) -> AssistantConfig:
        """What a turn needs of this assistant (read once per turn, from the database)."""
        return AssistantConfig(
            id=self.pk,
            public_id=str(self.public_id),
            name=self.name,
            instructions=self.instructions_text(),
            model=self.model,
            documents=self.document_ids(),
            not_covered=self.not_covered,
            contact_url=self.contact_url,
        )


class InstructionBlock(models.Model):
    """One block of an assistant's instructions: reordered and switched off one by one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="instruction_blocks")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=BLOCK_CHARS)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:40]


def create_default(tenant: Tenant, **fields: Any) -> Assistant:
    """The workspace's default assistant (one per workspace: the constraint refuses a second)."""
    fields.setdefault("name", DEFAULT_NAME)
    return Assistant.objects.create(tenant=tenant, is_default=True, **fields)


def split_instructions(text: str, size: int = BLOCK_CHARS) -> list[str]:
    """Cut free text into blocks of at most `size` characters: paragraphs packed together, a long
    paragraph cut between words (a word longer than a block is cut where it must be)."""
    blocks: list[str] = []
    for paragraph in (p.strip() for p in text.replace("\r\n", "\n").split("\n\n")):
        for piece in _pieces(paragraph, size):
            if blocks and len(blocks[-1]) + 2 + len(piece) <= size:
                blocks[-1] += "\n\n" + piece
            else:
                blocks.append(piece)
    return blocks


def _pieces(paragraph: str, size: int) -> list[str]:
    pieces: list[str] = []
    rest = paragraph
    while len(rest) > size:
        cut = rest.rfind(" ", 0, size + 1)
        cut = cut if cut > 0 else size
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces
