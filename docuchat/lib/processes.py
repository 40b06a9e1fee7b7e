"""Which kind of process this is, for the threads only a worker runs (heartbeat, recovery sweep)."""

import os
import sys

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV


def is_worker_process() -> bool:
    """True in a `manage.py db_worker` that runs tasks (not the parent of an autoreloading one)."""
    if sys.argv[1:2] != ["db_worker"]:
        return False
    reloads = "--reload" in sys.argv or (settings.DEBUG and "--no-reload" not in sys.argv)
    return not reloads or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
