"""Read environment settings so that a bad value names its variable at start-up."""

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class _SecretFiles(FileAwareMapping):
    """django-environ's `NAME_FILE` lookup, with the file's surrounding whitespace removed (a
    secret file written by `echo` ends with a newline that is not part of the value)."""

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value.strip() if self.env.get(key + "_FILE") else value


class FileAwareEnv(environ.FileAwareEnv):
    ENVIRON = _SecretFiles()


# Every variable is read through this: NAME, or the contents of the file named by NAME_FILE.
env = FileAwareEnv()


def _file_error(name: str, exc: OSError) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}_FILE: cannot read {os.environ.get(name + '_FILE')}: {exc}")


def raw(name: str) -> str | None:
    """The variable's text (from NAME_FILE when that is set), or None when it is unset."""
    try:
        return env.str(name, default=None)
    except OSError as exc:
        raise _file_error(name, exc) from exc


def read(reader: Callable[..., Any], name: str, *, default: Any) -> Any:
    """Call a django-environ reader of `env`, turning any parse error into ImproperlyConfigured."""
    try:
        return reader(name, default=default)
    except OSError as exc:
        raise _file_error(name, exc) from exc
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImproperlyConfigured(f"{name} has an invalid value {raw(name)!r}: {exc}") from exc


def parse(name: str, parser: Callable[[str], Any], raw: str) -> Any:
    """Parse a value already read, naming its variable if it is bad."""
    try:
        return parser(raw)
    except (ValueError, TypeError, KeyError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} has an invalid value {raw!r}: {exc}") from exc


def strict_bool(name: str, *, default: bool) -> bool:
    text = raw(name)
    if text is None:
        return default
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {text!r}.")


def positive_int(name: str, *, default: int) -> int:
    return whole_number(name, default=default, minimum=1)


def whole_number(name: str, *, default: int, minimum: int = 0) -> int:
    text = raw(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        kind = "a positive whole number" if minimum == 1 else f"a whole number of at least {minimum}"
        raise ImproperlyConfigured(f"{name} must be {kind}; got {text!r}.")
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


LOCAL_EMAIL_BACKENDS = ("console.EmailBackend", "filebased.EmailBackend")


def writes_email_locally(mailers: dict[str, dict[str, Any]]) -> bool:
    """Whether the default mailer prints emails to the console or writes them to files."""
    return mailers["default"]["BACKEND"].endswith(LOCAL_EMAIL_BACKENDS)
