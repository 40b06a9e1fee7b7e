"""The documented production environment passes `manage.py check --deploy` with no warning."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from docuchat.testing import database_url

DOC = Path(settings.BASE_DIR) / "docs" / "deploy-security.md"


def production_environment() -> dict[str, str]:
    """The ```env block of docs/deploy-security.md, each <placeholder> given a generated value."""
    block = re.search(r"```env\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None, "docs/deploy-security.md lost its production env block"
    env = {}
    for line in block.group(1).splitlines():
        name, _, value = line.partition("=")
        env[name] = re.sub(r"<[^>]+>", lambda _: secrets.token_urlsafe(50), value)
    return env


def check_deploy(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`check --deploy` in a fresh process with `env` and nothing else, but for a PATH, DATA_DIR
    in tmp_path, and the database host: some model checks ask the database what it supports, and
    `db` (compose's) does not resolve here, so the suite's own server answers instead."""
    env = {**env, "PATH": os.environ["PATH"], "DATA_DIR": str(tmp_path), "DATABASE_URL": database_url()}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_it_passes_check_deploy_with_the_documented_production_environment(db: None, tmp_path: Path) -> None:
    result = check_deploy(production_environment(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_warns_without_the_https_settings(db: None, tmp_path: Path) -> None:
    """The check is a real one: the same environment without its HTTPS lines fails it."""
    env = production_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        env.pop(name)
    result = check_deploy(env, tmp_path)
    assert result.returncode != 0
    assert (
        "security.W004" in result.stderr + result.stdout and "security.W008" in result.stderr + result.stdout
    )
