"""Allowed origins: the web pages that may embed an assistant's widget.

An origin is what a browser sends in its `Origin` header: a scheme, a host and a port, nothing
else (`https://shop.example`, `http://localhost:3000`). The Assistants page and the
`create_assistant` command both read them through `parse_origins`, which says what is wrong with
each bad line.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

MAX_ORIGINS = 50
MAX_ORIGIN_CHARS = 200
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(text: str) -> str:
    """The origin as a browser writes it (lower case, no default port, no trailing slash), or
    ValueError saying what is wrong with it."""
    value = text.strip()
    if len(value) > MAX_ORIGIN_CHARS:
        raise ValueError(f"is longer than {MAX_ORIGIN_CHARS} characters")
    if "*" in value:
        raise ValueError("has a wildcard: list each origin on its own line")
    if "://" not in value:
        raise ValueError("needs its scheme: write https://" + value)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in DEFAULT_PORTS:
        raise ValueError("must start with https:// or http://")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be only a scheme and a host, without a path (like https://shop.example)")
    if not _valid_host(host):
        raise ValueError("does not have a valid host name")
    shown_host = f"[{host}]" if ":" in host else host
    suffix = f":{port}" if port is not None and port != DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{shown_host}{suffix}"


def _valid_host(host: str) -> bool:
    if not host:
        return False
    try:
        validate_ipv46_address(host)
        return True
    except ValidationError:
        pass
    labels = host.split(".")
    return all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        and not label.startswith("-") and not label.endswith("-")
        for label in labels
    )  # fmt: skip


def parse_origins(lines: list[str], what: str = "Line") -> list[str]:
    """The origins of `lines` (blank lines skipped, duplicates once, in order), or ValidationError
    with one message per bad line."""
    found: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            origin = normalise_origin(line)
        except ValueError as exc:
            errors.append(f"{what} {number}, “{line.strip()[:80]}”, {exc}.")
            continue
        if origin not in found:
            found.append(origin)
    if not errors and len(found) > MAX_ORIGINS:
        errors.append(f"List at most {MAX_ORIGINS} origins; there are {len(found)}.")
    if errors:
        raise ValidationError(errors)
    return found
