"""The README's API examples name routes, methods and fields that exist (the OpenAPI documents say)."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from legacy.routing import PATHS as V1_SOCKETS

README = Path(__file__).resolve().parents[2] / "README.md"


def api_section() -> str:
    text = README.read_text()
    return text.split("\n## API\n", 1)[1].split("\n## ", 1)[0]


def shell_blocks() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", api_section(), re.S)).replace("\\\n", " ")


def curls() -> list[list[str]]:
    found = []
    for line in shell_blocks().splitlines():
        start = line.find("curl ")
        if start >= 0:
            words = shlex.split(line[start:].replace("'$ASSISTANT'", "a1"), comments=True)
            found.append(words)
    return found


def request_of(words: list[str]) -> tuple[str, str, dict[str, Any] | None, list[str]]:
    """(method, path, JSON body, multipart field names) of one curl command."""
    method, body, form, url = "", None, [], ""
    for flag, value in zip(words, [*words[1:], ""], strict=True):
        if flag == "-X":
            method = value
        elif flag == "-d":
            body = json.loads(value)
        elif flag == "-F":
            form.append(value.split("=", 1)[0])
        elif flag.startswith("$HOST/"):
            url = flag
    method = method or ("POST" if body is not None or form else "GET")
    return method, url.removeprefix("$HOST").split("?")[0], body, form


def schemas() -> dict[str, dict[str, Any]]:
    return {prefix: Client().get(f"{prefix}/openapi.json").json() for prefix in ("/api/v1", "/v1")}


def operation(path: str, method: str, documents: dict[str, dict[str, Any]]) -> tuple[dict, dict]:
    for document in documents.values():
        for template, methods in document["paths"].items():
            if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in methods:
                return methods[method.lower()], document
    raise AssertionError(f"README: {method} {path} is not in an OpenAPI document")


def properties(op: dict, document: dict, kind: str) -> set[str]:
    schema = op["requestBody"]["content"][kind]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema["properties"])


@pytest.mark.django_db
def test_it_documents_only_routes_methods_and_fields_that_exist() -> None:
    documents = schemas()
    seen = set()
    for words in curls():
        method, path, body, form = request_of(words)
        op, document = operation(path, method, documents)
        seen.add((method, re.sub(r"\$\w+|a1", "{id}", path)))
        if body is not None:
            assert set(body) <= properties(op, document, "application/json"), (path, body)
        if form:
            assert set(form) <= properties(op, document, "multipart/form-data"), (path, form)
    every_route = {
        ("POST", "/api/v1/documents"), ("GET", "/api/v1/documents"), ("GET", "/api/v1/documents/{id}"),
        ("DELETE", "/api/v1/documents/{id}"), ("POST", "/api/v1/chat"), ("GET", "/api/v1/conversations/{id}"),
        ("GET", "/api/v1/usage"), ("GET", "/api/v1/assistants"), ("POST", "/api/v1/assistants"),
        ("PATCH", "/api/v1/assistants/{id}"), ("DELETE", "/api/v1/assistants/{id}"),
        ("GET", "/api/v1/assistants/{id}/snippet"), ("POST", "/api/v1/assistants/{id}/rotate"),
        ("GET", "/api/v1/openai/models"), ("POST", "/api/v1/openai/chat/completions"),
        ("POST", "/v1/auth/request-code"), ("POST", "/v1/auth/verify-code"), ("POST", "/v1/files"),
        ("GET", "/v1/files/{id}"), ("GET", "/v1/usage"), ("GET", "/healthz"),
    }  # fmt: skip
    assert every_route <= seen, every_route - seen
    socket = re.search(r"ws://[^/]+(/[^?\"]+)\?token=\$TOKEN&tenant=", shell_blocks())
    assert socket and socket.group(1) in V1_SOCKETS
    assert Client().get("/api/v1/docs").status_code == 200 and Client().get("/docs").status_code == 200
