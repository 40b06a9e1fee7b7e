import os
import subprocess
import sys

import pytest
from django.conf import settings


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh process, as start-up would."""
    code = "import django; django.setup()"
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "docuchat.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY is required when DEBUG is off"),
        ({"DATABASE_URL": "mysql://x@localhost/db"}, "DATABASE_URL must start with one of"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL must start with one of"),
        ({"EMAIL_URL": "carrier-pigeon://x"}, "EMAIL_URL has an invalid value"),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE has an invalid value"),
        ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL must start with one of"),
        ({"DATA_DIR": "/proc/docuchat-cannot-be-here"}, "DATA_DIR: cannot create directory"),
        (
            {"PGBOUNCER_TRANSACTION_MODE": "true", "REDIS_URL": ""},
            "PGBOUNCER_TRANSACTION_MODE needs REDIS_URL",
        ),
        ({"MAX_FILE_SIZE_MB": "50", "MAX_UPLOAD_REQUEST_MB": "40"}, "MAX_UPLOAD_REQUEST_MB must be larger"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "minio:9000"},
            "AWS_S3_ENDPOINT_URL must start",
        ),
    ],
)
def test_it_stops_start_up_naming_the_bad_variable(env: dict[str, str], message: str) -> None:
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_it_starts_with_the_defaults() -> None:
    assert start().returncode == 0
