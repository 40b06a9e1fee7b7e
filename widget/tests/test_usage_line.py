"""Widget usage is metered to its assistant and shows on the Usage page as its own line."""

import pytest
from django.test import Client

from assistants.models import Assistant
from docuchat.testing import Cast
from usage import metering
from usage.models import Meter

pytestmark = pytest.mark.django_db


def test_it_shows_each_assistants_widget_usage_as_its_own_line(cast: Cast) -> None:
    shop = Assistant.objects.create(tenant=cast.acme, name="Shop helper")
    metering.record(cast.acme, cast.owner, metering.Kind.CHAT, "gpt-4o-mini", 1000, 500)
    metering.record(cast.acme, None, metering.Kind.CHAT, "gpt-4o-mini", 4000, 2000, assistant=shop)
    metering.record(cast.globex, None, metering.Kind.CHAT, "gpt-4o-mini", 9, 9,
                    assistant=Assistant.objects.get(tenant=cast.globex))  # fmt: skip

    owner = Client()
    owner.force_login(cast.owner)
    page = owner.get("/t/acme/usage/").content.decode()
    assert "Website widget: Shop helper" in page and "owner@acme.test" in page
    assert page.count("Website widget:") == 1  # not globex's
    meter = Meter.objects.get(scope=Meter.Scope.ASSISTANT_MONTH, subject_id=shop.pk)
    assert meter.tokens_used == 6000  # counted against the assistant's own monthly budget

    member = Client()
    member.force_login(cast.member)
    assert "Website widget" not in member.get("/t/acme/usage/").content.decode()  # only their own
    other = Client()
    other.force_login(cast.other)
    assert other.get("/t/acme/usage/").status_code == 404
