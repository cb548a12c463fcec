#!/usr/bin/env python3
"""Checks that every example of an OpenAPI 3.1 document validates against its schema: request
bodies, parameters, JSON answers and the shared problem answers. openapi-spec-validator checks the
document's shape, not its examples. Prints each mismatch and exits 1 if there is one.

    python3 scripts/openapi-examples-check.py docs/openapi.json

Needs jsonschema and referencing (installed with openapi-spec-validator).
"""
import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:openapi-document"


def absolute_refs(value):
    """The schema with its document-local $refs made absolute, so they resolve in the registry."""
    if isinstance(value, dict):
        return {key: (BASE + item if key == "$ref" and isinstance(item, str) and item.startswith("#") else absolute_refs(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [absolute_refs(item) for item in value]
    return value


def main(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    registry = Registry().with_resource(BASE, Resource.from_contents(document, default_specification=DRAFT202012))
    problems, checked = [], 0

    def check(schema, example, where):
        nonlocal checked
        checked += 1
        validator = Draft202012Validator(absolute_refs(schema), registry=registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        for error in validator.iter_errors(example):
            problems.append(f"{where}: {error.message[:200]}")

    def media(content, where):
        for media_type, entry in (content or {}).items():
            if "example" in entry and (media_type.endswith("json") or entry["schema"].get("type") == "string"):
                check(entry["schema"], entry["example"], f"{where} {media_type}")

    for path, item in document["paths"].items():
        for parameter in item.get("parameters", []):
            if "example" in parameter:
                check(parameter["schema"], parameter["example"], f"{path} parameter {parameter['name']}")
        for method, operation in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if "example" in parameter:
                    check(parameter["schema"], parameter["example"], f"{where} parameter {parameter['name']}")
            media(operation.get("requestBody", {}).get("content"), f"{where} request")
            for status, answer in operation["responses"].items():
                media(answer.get("content"), f"{where} {status}")
    for name, answer in document["components"]["responses"].items():
        media(answer.get("content"), f"components/responses/{name}")

    for problem in problems:
        print(problem)
    print(f"{checked} examples checked, {len(problems)} mismatches")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
