"""An assistant's analytics, over the conversations no member had (the website's; members' own
chats stay private, even in aggregate lists of questions):

- conversations and questions per day, drawn as a server-side SVG like the Usage page's chart;
- the share of answers given from the documents, and the thumbs-up ratio;
- the questions the documents did not cover, grouped by similarity: the list that tells an owner
  which document to add.

Grouping embeds the questions with the offline embedder (documents/registry.py): it runs on this
server, costs nothing and needs no network, and similar wording gives similar vectors.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from assistants.models import Assistant
from chat.models import ChatSession, Message
from documents import registry
from usage.chart import axis_label

DAYS = 30
MAX_GROUPED = 500  # the most recent unanswered questions that are grouped
SIMILAR = 0.5  # cosine similarity at which two questions are the same question
TOP_GROUPS = 10
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM = 720, 220, 48, 24
SERIES = [("conversations", "Conversations"), ("questions", "Questions")]


@dataclass
class Day:
    day: date
    conversations: int = 0
    questions: int = 0


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    empty: bool


@dataclass
class Group:
    question: str  # the most asked wording
    count: int
    examples: list[str] = field(default_factory=list)  # other wordings, a few


@dataclass
class Report:
    days: list[Day]
    chart: Chart
    conversations: int
    questions: int
    answers: int
    from_documents: int
    thumbs_up: int
    thumbs_down: int
    unanswered: list[Group]

    @property
    def answered_share(self) -> int | None:
        """Percent of answers given from the documents (None without answers)."""
        return round(100 * self.from_documents / self.answers) if self.answers else None

    @property
    def thumbs_ratio(self) -> int | None:
        """Percent of thumbs that were up (None without any)."""
        rated = self.thumbs_up + self.thumbs_down
        return round(100 * self.thumbs_up / rated) if rated else None


def sessions_of(assistant: Assistant) -> QuerySet[ChatSession]:
    """Its conversations with no member (the default assistant also answers those whose assistant
    was deleted, or never set)."""
    sessions = ChatSession.objects.filter(tenant_id=assistant.tenant_id, user__isnull=True)
    if assistant.is_default:
        return sessions.filter(assistant__isnull=True) | sessions.filter(assistant=assistant)
    return sessions.filter(assistant=assistant)


def report(assistant: Assistant, days: int = DAYS) -> Report:
    first = timezone.localdate() - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))  # a range the indexes can use
    sessions = sessions_of(assistant)
    messages = Message.objects.filter(session__in=sessions.values("pk"), created__gte=since)
    answers = messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.COMPLETE)
    series = daily(sessions.filter(created__gte=since), messages, first, days)
    return Report(
        days=series,
        chart=chart(series),
        conversations=sum(d.conversations for d in series),
        questions=sum(d.questions for d in series),
        answers=answers.count(),
        from_documents=answers.filter(not_covered=False).count(),
        thumbs_up=messages.filter(feedback=Message.Feedback.UP).count(),
        thumbs_down=messages.filter(feedback=Message.Feedback.DOWN).count(),
        unanswered=group(unanswered_questions(answers)),
    )


def daily(sessions: QuerySet[ChatSession], messages: QuerySet[Message], first: date, days: int) -> list[Day]:
    series = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(days)}
    started = sessions.annotate(day=TruncDate("created")).values_list("day").order_by()
    for (day,) in started:
        if day in series:
            series[day].conversations += 1
    asked = messages.filter(role=Message.Role.USER).annotate(day=TruncDate("created")).values_list("day")
    for (day,) in asked.order_by():
        if day in series:
            series[day].questions += 1
    return list(series.values())


def unanswered_questions(answers: QuerySet[Message], limit: int = MAX_GROUPED) -> list[str]:
    """The questions whose answer said the documents do not cover them, most recent first."""
    question = Message.objects.filter(
        session=OuterRef("session"), role=Message.Role.USER, created__lte=OuterRef("created")
    ).order_by("-created", "-id")
    rows = (
        answers.filter(not_covered=True)
        .annotate(question=Subquery(question.values("content")[:1]))
        .order_by("-created")
        .values_list("question", flat=True)[:limit]
    )
    return [q for q in rows if q]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


def _key(question: str) -> str:
    return " ".join(question.split()).lower().rstrip("?!.… ")


def _wordings(questions: list[str]) -> dict[str, str]:
    """For each key, its most used wording (on a tie, the earliest asked; `questions` is newest first)."""
    used = Counter(" ".join(q.split()) for q in reversed(questions))
    wording: dict[str, str] = {}
    for text, _ in used.most_common():
        wording.setdefault(_key(text), text)
    return wording


def group(questions: list[str], threshold: float = SIMILAR, top: int = TOP_GROUPS) -> list[Group]:
    """Questions grouped by similarity, the largest groups first.

    1. Identical questions (ignoring case, spacing and the final punctuation) count together.
    2. Each distinct question joins the first group whose first question is at least `threshold`
       similar (cosine of the offline embedder's vectors), else starts a group; the most asked
       questions are placed first, so they lead their groups.
    3. A group's name is its most asked wording; a few other wordings are kept as examples.
    """
    counts = Counter(_key(q) for q in questions)
    wording = _wordings(questions)
    distinct = [text for text, _ in counts.most_common()]
    if not distinct:
        return []
    spec = registry.offline_models()[0]
    vectors = registry.embedder(spec).embed(distinct).vectors
    leaders: list[tuple[list[float], list[str]]] = []
    for text, vector in zip(distinct, vectors, strict=True):
        home = next((members for lead, members in leaders if _cosine(lead, vector) >= threshold), None)
        if home is None:
            leaders.append((vector, [text]))
        else:
            home.append(text)
    groups = [
        Group(wording[members[0]], sum(counts[m] for m in members), [wording[m] for m in members[1:4]])
        for _, members in leaders
    ]
    return sorted(groups, key=lambda g: -g.count)[:top]


def _nice_max(value: int) -> int:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value)


def chart(days: list[Day]) -> Chart:
    """Two bars a day, side by side: conversations started and questions asked."""
    top = _nice_max(max((max(d.conversations, d.questions) for d in days), default=0))
    plot_h, plot_w = HEIGHT - PAD_BOTTOM - 8, WIDTH - PAD_LEFT
    slot = plot_w / max(len(days), 1)
    bars: list[Bar] = []
    for i, day in enumerate(days):
        for j, (name, label) in enumerate(SERIES):
            value = getattr(day, name)
            if not value:
                continue
            h = value / top * plot_h
            x = PAD_LEFT + i * slot + slot * 0.1 + j * slot * 0.4
            title = f"{day.day:%b %d}: {value:,} {label.lower() if value != 1 else label.lower()[:-1]}"
            bars.append(Bar(x, HEIGHT - PAD_BOTTOM - h, slot * 0.4, h, name, title))
    gridlines = [(HEIGHT - PAD_BOTTOM - f * plot_h, axis_label(int(top * f))) for f in (0, 0.5, 1)]
    labels = [(PAD_LEFT + i * slot + slot / 2, f"{d.day:%b %d}") for i, d in enumerate(days) if i % 7 == 0]
    return Chart(WIDTH, HEIGHT, bars, gridlines, labels, list(SERIES), empty=not bars)
