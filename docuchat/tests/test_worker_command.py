"""`manage.py db_worker` is ours: django-tasks-db's command with a worker that waits out outages."""

import inspect

from django.core.management import get_commands, load_command_class
from django_tasks_db.management.commands import db_worker as library

from docuchat.management.commands.db_worker import ResilientWorker


def test_it_runs_our_worker_command() -> None:
    assert get_commands()["db_worker"] == "docuchat"
    assert isinstance(load_command_class("docuchat", "db_worker"), library.Command)


def test_it_still_finds_the_library_building_its_worker_by_name() -> None:
    """Our command swaps `Worker` in the library's module for its call: that needs the library
    (pinned at django-tasks-db 0.13.0) to keep building it by that name in handle()."""
    assert "Worker(" in inspect.getsource(library.Command.handle)
    assert issubclass(ResilientWorker, library.Worker)
