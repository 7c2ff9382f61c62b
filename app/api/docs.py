"""docs/api.md, the API reference in the repository, written from the same OpenAPI document the
app serves (and Swagger UI renders at /api/v1/docs), so the two cannot drift: a test compares them.

`flask --app wsgi docs api` rewrites the file; `--check` fails when it is out of date."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.api.core import openapi_document

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _type(schema: dict, doc: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1].removesuffix("Input")
    if "anyOf" in schema:
        return " | ".join(_type(s, doc) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}), doc)}"
    if "enum" in schema:
        return " | ".join(f"`{v}`" for v in schema["enum"])
    return schema.get("format") or schema.get("type") or "any"


def _fields(schema: dict, doc: dict) -> list[str]:
    schema = _resolve(schema, doc)
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    lines = []
    for name, prop in props.items():
        note = (prop.get("description") or "").replace("\n", " ")
        mark = " (required)" if name in required else ""
        lines.append(f"  - `{name}`: {_type(prop, doc)}{mark}{' — ' + note if note else ''}")
    return lines


def api_markdown() -> str:
    doc = openapi_document()
    out = [
        "# Lentera REST API v1 — reference",
        "",
        "Written by `flask --app wsgi docs api` from the OpenAPI document the app serves at",
        "`/api/v1/openapi.json` (rendered at `/api/v1/docs`). Do not edit by hand: a test fails when",
        "this file and the routes differ. Errors answer `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        "",
        "Every list answers the envelope `{\"items\", \"page\", \"per_page\", \"total\"}` and takes `page` and",
        "`per_page` (1–200, default 50). **Transition note (issue 14):** `GET /api/v1/certificates`,",
        "`/competencies`, `/employees/{nip}/gaps`, `/employees/{nip}/recommendations` and `/training-needs`",
        "answered a bare JSON array before; they now answer the envelope like every other list. A client",
        "reads `items` instead of the array, and asks for the next `page` while `page * per_page < total`.",
        "",
        "Request bodies are limited by what they are (413 before the body is read): JSON and other raw",
        "bodies 1 MB (`LENTERA_MAX_JSON_KB`), forms 8 MB (`LENTERA_MAX_FORM_KB`), multipart uploads of a",
        "signed-in caller and tus chunks `LENTERA_MAX_UPLOAD_MB`. JSON nested deeper than 64 levels",
        "(`LENTERA_JSON_MAX_DEPTH`) and the non-JSON constants `NaN`/`Infinity` are invalid JSON (400).",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append((path, method.upper(), op))
    for tag in sorted(by_tag):
        out += [f"## {tag}", ""]
        for path, method, op in sorted(by_tag[tag], key=lambda t: (t[0], t[1])):
            out.append(f"### `{method} {path}`")
            out.append("")
            out.append(op["summary"] + ("" if "security" in op else " (no login)"))
            params = [p for p in op.get("parameters", []) if p["in"] == "query"]
            if params:
                out += ["", "- query:"] + [f"  - `{p['name']}`: {_type(p['schema'], doc)}"
                                           + (" (required)" if p.get("required") else "") for p in params]
            body = op.get("requestBody", {}).get("content", {})
            for ctype, content in body.items():
                out += ["", f"- body ({ctype}):"] + (_fields(content["schema"], doc) or ["  - (see the schema)"])
            ok = next((code for code in op["responses"] if code.startswith("2")), "200")
            content = op["responses"][ok].get("content", {})
            if "application/json" in content:
                out += ["", f"- answer {ok}:"] + (_fields(content["application/json"]["schema"], doc) or
                                                   [f"  - {_type(content['application/json']['schema'], doc)}"])
            elif content:
                out += ["", f"- answer {ok}: {next(iter(content))}"]
            else:
                out += ["", f"- answer {ok}"]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


@click.group("docs")
def docs_group() -> None:
    """The project's documentation written from the code."""


@docs_group.command("api")
@click.option("--check", is_flag=True, help="Fail when docs/api.md is out of date instead of writing it.")
@with_appcontext
def docs_api(check: bool) -> None:
    """Write docs/api.md from the OpenAPI document."""
    text = api_markdown()
    target = DOCS / "api.md"
    if check:
        if not target.is_file() or target.read_text() != text:
            raise click.ClickException("docs/api.md is out of date: run `flask --app wsgi docs api`.")
        click.echo("docs/api.md is up to date.")
        return
    target.parent.mkdir(exist_ok=True)
    target.write_text(text)
    click.echo(f"wrote {target.relative_to(Path(current_app.root_path).parent)}")


def register(app: Flask) -> None:
    app.cli.add_command(docs_group)
