import pytest
from django.test import Client

from docuchat.testing import Cast
from tenants.models import Membership


@pytest.fixture
def owner(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


@pytest.fixture
def admin_user(cast: Cast):
    from accounts.models import User

    user = User.objects.for_email("admin@acme.test")
    Membership.objects.create(tenant=cast.acme, user=user, role=Membership.Role.ADMIN)
    return user


def website_conversation(
    assistant, exchanges: list[tuple[str, str]], *, when=None, not_covered=(), down=(), up=(), sources=None
):
    """A visitor's conversation (no member) with `assistant`: (question, answer) pairs; the answers
    whose index is in `not_covered` were not covered, in `down`/`up` got that thumb."""
    from datetime import timedelta

    from django.utils import timezone

    from chat.models import ChatSession, Message

    start = when or timezone.now()
    chat = ChatSession.objects.create(
        tenant=assistant.tenant, assistant=assistant, title=exchanges[0][0][:60], created=start, updated=start
    )
    for i, (question, answer) in enumerate(exchanges):
        Message.objects.create(
            session=chat, role="user", content=question, created=start + timedelta(seconds=2 * i)
        )
        Message.objects.create(
            session=chat, role="assistant", content=answer, created=start + timedelta(seconds=2 * i + 1),
            not_covered=i in not_covered, sources=[] if i in not_covered else (sources or []),
            feedback="down" if i in down else "up" if i in up else "",
        )  # fmt: skip
    return chat
