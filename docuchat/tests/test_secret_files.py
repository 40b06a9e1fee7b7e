"""Every variable may come from a secret file (NAME_FILE), whatever its kind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


def settings_from(env: dict[str, str], *names: str) -> dict[str, object]:
    """The named settings as a fresh process reads them with `env`."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: repr(getattr(s, n)) for n in {list(names)!r}}}))"
    )
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "docuchat.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def secret(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text + "\n")  # as `echo value > file` writes it
    return str(path)


@pytest.mark.parametrize(
    ("name", "text", "setting", "expected"),
    [
        ("SECRET_KEY", "s3cret-from-a-file", "SECRET_KEY", "'s3cret-from-a-file'"),  # text
        ("DEBUG", "false", "DEBUG", "False"),  # true/false
        ("MAX_FILE_SIZE_MB", "7", "MAX_FILE_SIZE_MB", "7"),  # positive whole number
        ("SECURE_HSTS_SECONDS", "600", "SECURE_HSTS_SECONDS", "600"),  # whole number
        ("OPENAI_TIMEOUT", "2.5", "OPENAI_TIMEOUT", "2.5"),  # decimal number
        ("ALLOWED_HOSTS", "a.test,b.test", "ALLOWED_HOSTS", "['a.test', 'b.test']"),  # list
        ("MODEL_PRICES", '{"m": {"input": "1", "output": "2"}}', "MODEL_PRICES",
         "{'m': {'input': '1', 'output': '2'}}"),  # JSON
        ("EMAIL_URL", "smtp://u:p@mail.test:2525/", "EMAIL_URL", "'smtp://u:p@mail.test:2525/'"),  # URL
    ],
)  # fmt: skip
def test_it_reads_each_kind_of_variable_from_its_file(
    tmp_path: Path, name: str, text: str, setting: str, expected: str
) -> None:
    env = {
        f"{name}_FILE": secret(tmp_path, name, text),
        "SECRET_KEY": "x" * 50,
        "EMAIL_TO_LOGS_ALLOWED": "true",
    }
    if name == "SECRET_KEY":
        env.pop("SECRET_KEY")
    env.pop(name, None)
    assert settings_from(env, setting)[setting] == expected


def test_it_configures_the_mailer_from_an_email_url_file(tmp_path: Path) -> None:
    env = {"EMAIL_URL_FILE": secret(tmp_path, "email", "smtp://u:p@mail.test:2525/")}
    mailers = settings_from(env, "MAILERS")["MAILERS"]
    assert "smtp.EmailBackend" in mailers and "'host': 'mail.test'" in mailers and "2525" in mailers


def test_it_stops_start_up_naming_a_secret_file_it_cannot_read(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "docuchat.settings", "DEBUG_FILE": str(tmp_path / "nope")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and "ImproperlyConfigured: DEBUG_FILE: cannot read" in result.stderr
