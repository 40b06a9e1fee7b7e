"""Read environment settings so that a bad value names its variable at start-up."""

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def read(reader: Callable[..., Any], name: str, *, default: Any) -> Any:
    """Call a django-environ reader, turning any parse error into ImproperlyConfigured.

    A `NAME_FILE` variable, when set and NAME is not, supplies the value from a secret file.
    """
    secret_file = os.environ.get(f"{name}_FILE")
    if secret_file and name not in os.environ:
        try:
            os.environ[name] = Path(secret_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {secret_file}: {exc}") from exc
    try:
        return reader(name, default=default)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImproperlyConfigured(f"{name} has an invalid value {os.environ.get(name)!r}: {exc}") from exc


def parse(name: str, parser: Callable[[str], Any], raw: str) -> Any:
    """Parse a value already read, naming its variable if it is bad."""
    try:
        return parser(raw)
    except (ValueError, TypeError, KeyError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} has an invalid value {raw!r}: {exc}") from exc


def strict_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {raw!r}.")


def positive_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive whole number; got {raw!r}.")
    return value


def require_scheme(name: str, url: str, schemes: Iterable[str]) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}; got {url!r}.")


def ensure_dir(name: str, path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot create directory {path}: {exc}") from exc


_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
}


def mailers(raw_url: str) -> dict[str, dict[str, Any]]:
    """Django 6.1's MAILERS setting from an EMAIL_URL (smtp://, consolemail://, filemail://...)."""
    import environ

    config = parse("EMAIL_URL", environ.Env.email_url_config, raw_url)
    backend = config["EMAIL_BACKEND"]
    if backend.endswith("smtp.EmailBackend"):
        options = {
            opt: config[key] for key, opt in _SMTP_OPTIONS.items() if config.get(key) not in (None, "")
        }
    elif backend.endswith("filebased.EmailBackend"):
        # django-environ drops the leading slash of filemail:///abs/path; keep the path as written.
        options = {"file_path": urlsplit(raw_url).path or config["EMAIL_FILE_PATH"]}
    else:
        options = {}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


MAX_VECTOR_DIMENSIONS = 2000  # pgvector's HNSW index takes vectors of at most this many dimensions


def embedding_models(entries: list[str], default_dimensions: int) -> list[tuple[str, int]]:
    """EMBEDDING_MODELS as (name, dimensions) pairs, from "name:dimensions" entries."""
    if default_dimensions > MAX_VECTOR_DIMENSIONS:
        raise ImproperlyConfigured(
            f"EMBEDDING_DIMENSIONS is {default_dimensions}; pgvector's HNSW index takes at most "
            f"{MAX_VECTOR_DIMENSIONS}. Ask for fewer (text-embedding-3 models shorten natively)."
        )
    models = []
    for entry in (e.strip() for e in entries):
        name, _, size = entry.rpartition(":")
        if not entry:
            continue
        if not name or not size.isdigit() or not 0 < int(size) <= MAX_VECTOR_DIMENSIONS:
            raise ImproperlyConfigured(
                f"EMBEDDING_MODELS: {entry!r} must be name:dimensions, with 1 to {MAX_VECTOR_DIMENSIONS} "
                "dimensions (pgvector's HNSW limit), e.g. text-embedding-3-large:1024."
            )
        models.append((name, int(size)))
    return models
