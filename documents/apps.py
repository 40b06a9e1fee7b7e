import os
import sys

from django.apps import AppConfig
from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from documents import checks, overview, signals  # noqa: F401  (receivers, and the system check)
        from tenants.overview import Panel, register

        register(Panel("documents", "documents/overview.html", 10, overview.panel))

        if is_worker_process():
            from documents.recovery import start_sweeper

            start_sweeper()


def is_worker_process() -> bool:
    """True in a `manage.py db_worker` that runs tasks (not the parent of an autoreloading one)."""
    if sys.argv[1:2] != ["db_worker"]:
        return False
    reloads = "--reload" in sys.argv or (settings.DEBUG and "--no-reload" not in sys.argv)
    return not reloads or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
