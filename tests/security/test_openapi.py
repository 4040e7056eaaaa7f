"""The OpenAPI document is complete: every status with its content type and schema, bounds
on every integer, patterns on names, security on every non-public operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask.testing import FlaskClient

PUBLIC = {"/healthz", "/api/v1/openapi.json"}


def _integers(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            yield where, node
        for key, value in node.items():
            yield from _integers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _integers(value, f"{where}/{i}")


def test_every_operation_documents_its_statuses_and_security(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            assert "400" in responses, (method, path)
            if path != "/api/v1/openapi.json":  # the only answer that needs no database
                retry = responses["503"]["headers"]["Retry-After"]
                assert retry["schema"]["type"] == "integer"
            if path in PUBLIC:
                assert op["security"] == []
                continue
            assert {"401", "403", "404", "422"} <= set(responses), (method, path)
            assert "WWW-Authenticate" in responses["401"]["headers"]
            if "requestBody" in op:
                assert {"413", "415"} <= set(responses), (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    assert list(answer["content"]) == ["application/problem+json"]
                elif status != "204":
                    assert answer["content"], (method, path, status)


def test_every_integer_is_bounded_and_names_have_patterns(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    loose = [w for w, s in _integers(document) if "minimum" not in s or "maximum" not in s]
    assert loose == []
    schemas = document["components"]["schemas"]
    assert schemas["StudyCreate"]["properties"]["name"]["pattern"].endswith("$")
    assert schemas["Parameter"]["properties"]["name"]["pattern"].startswith("^")
    assert schemas["StudyCreate"]["required"] == ["name", "space"]
    assert schemas["Trial"]["required"][:2] == ["study", "number"]
    assert schemas["Problem"]["required"] == [
        "type", "title", "status", "detail", "code", "instance", "request_id",
    ]  # fmt: skip
