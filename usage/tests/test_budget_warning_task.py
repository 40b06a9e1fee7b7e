"""The 80% budget warning is emailed by a background task, never on the metered call's path.

A chat answer is metered on one of the chat's database threads: sending mail there made the
turn wait on the SMTP server (and a slow or failing server held or failed it).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from docuchat.testing import Cast
from usage import metering
from usage.models import Quota
from usage.tasks import email_budget_warning

pytestmark = pytest.mark.django_db
NOV_20 = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def database_queue(settings: SettingsWrapper) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@time_machine.travel(NOV_20)
def test_it_queues_the_warning_instead_of_sending_it_on_the_metered_call(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    Quota.objects.create(tenant=cast.acme, monthly_tokens=1000)
    with django_capture_on_commit_callbacks(execute=True):
        metering.record(cast.acme, cast.member, metering.Kind.CHAT, "gpt-4o-mini", 850, 0)
    assert mail.outbox == []  # nothing was sent while the call was being metered
    [queued] = DBTaskResult.objects.filter(task_path=email_budget_warning.module_path)
    assert queued.status == TaskResultStatus.READY and queued.args_kwargs["args"] == [cast.acme.pk]

    assert email_budget_warning.call(cast.acme.pk) == "sent"  # as the worker runs it
    assert [m.to for m in mail.outbox] == [["owner@acme.test"]]
    assert "85% of its monthly budget" in mail.outbox[0].subject


def test_it_sends_nothing_for_a_workspace_deleted_meanwhile(cast: Cast) -> None:
    tenant_id = cast.globex.pk
    cast.globex.delete()
    assert email_budget_warning.call(tenant_id) == "workspace gone"
    assert mail.outbox == []
