"""The API's machinery: routes declared with their input and output models, authentication,
the error format, paging, and the OpenAPI document generated from those declarations.

A route is declared once with `@route(...)`; the OpenAPI document is read off those
declarations and the blueprint's URL rules, so it cannot drift from what the code does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, Field, ValidationError

from app.errors import API_PREFIX, BadInput, Forbidden, LenteraError, Unauthorized, error_response, is_api_request
from app.web import page_args, paginate

api = Blueprint("api", __name__, url_prefix=API_PREFIX)



@dataclass
class RouteSpec:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    auth: bool = True
    roles: tuple[str, ...] = ()
    body_content: dict[str, dict] = field(default_factory=dict)  # non-JSON bodies: content type → schema
    response_content: str | None = None  # non-JSON response media type


SPECS: list[RouteSpec] = []

T = TypeVar("T")


class PageQuery(BaseModel):
    """`page` and `per_page` of a list route (the envelope of API.md)."""

    page: int = Field(default=1, ge=1, le=2**31 - 1)
    per_page: int = Field(default=50, ge=1, le=200)


class Page(BaseModel, Generic[T]):
    """Every list answers `{"items", "page", "per_page", "total"}`."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        # OpenAPI component names allow only [A-Za-z0-9._-]: "CertificateOutPage", not "Page[CertificateOut]".
        return "".join(getattr(p, "__name__", "Item") for p in params) + "Page"


def page_of(items: Sequence[Any]) -> dict[str, Any]:
    """A list already in memory (computed, not a query) answered in the envelope, one page of it."""
    page, per_page = page_args()
    start = (page - 1) * per_page
    return {"items": list(items[start:start + per_page]), "page": page, "per_page": per_page, "total": len(items)}


def _pydantic_details(exc: ValidationError) -> list[dict[str, Any]]:
    messages = {
        "missing": _("wajib diisi"),
        "string_type": _("harus berupa teks"),
        "int_type": _("harus berupa bilangan bulat"),
        "int_parsing": _("harus berupa bilangan bulat"),
        "float_type": _("harus berupa angka"),
        "float_parsing": _("harus berupa angka"),
        "decimal_parsing": _("harus berupa angka"),
        "decimal_type": _("harus berupa angka"),
        "finite_number": _("harus berupa angka biasa (bukan NaN atau tak hingga)"),
        "bool_type": _("harus true atau false"),
        "bool_parsing": _("harus true atau false"),
        "date_type": _("harus berupa tanggal YYYY-MM-DD"),
        "date_from_datetime_parsing": _("harus berupa tanggal YYYY-MM-DD"),
        "date_parsing": _("harus berupa tanggal YYYY-MM-DD"),
        "string_too_short": _("terlalu pendek"),
        "string_too_long": _("terlalu panjang"),
        "greater_than": _("terlalu kecil"),
        "greater_than_equal": _("terlalu kecil"),
        "less_than": _("terlalu besar"),
        "less_than_equal": _("terlalu besar"),
        "literal_error": _("nilai tidak dikenal"),
        "enum": _("nilai tidak dikenal"),
        "extra_forbidden": _("tidak dikenal"),
        "string_pattern_mismatch": _("formatnya tidak sesuai"),
        "model_type": _("harus berupa objek JSON"),
        "dict_type": _("harus berupa objek JSON"),
        "list_type": _("harus berupa daftar"),
    }
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = messages.get(err["type"])
        if msg is None:
            msg = err.get("msg", "").removeprefix("Value error, ") or _("tidak valid")
        details.append({"field": loc, "message": str(msg)})
    return details


def parse_model(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = _pydantic_details(exc)
        raise BadInput(
            _("Masukan tidak valid: %(fields)s.", fields=", ".join(f"{d['field']} {d['message']}" for d in details)),
            code="invalid_" + where,
            details=details,
        ) from None


def _authenticate() -> None:
    """Bearer token or, for the app's own pages calling the API, the session (with CSRF)."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        if not current_user.is_authenticated:
            raise Unauthorized(_("Token tidak valid atau sudah kedaluwarsa."), code="invalid_token")
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_("Harus masuk terlebih dahulu: kirim header Authorization: Bearer <token>."))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from app.extensions import csrf

        try:
            csrf.protect()
        except CSRFError:
            raise Forbidden(_("Token CSRF tidak ada atau tidak valid."), code="csrf_failed") from None


def require_role(*roles: str) -> None:
    if not current_user.has_role(*roles):
        raise Forbidden(_("Peran Anda tidak diizinkan melakukan ini."))


def route(
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    auth: bool = True,
    roles: tuple[str, ...] = (),
    body_content: dict[str, dict] | None = None,
    response_content: str | None = None,
) -> Callable:
    """Declare an API route. The view gets `body=` and `params=` (validated models) when declared,
    and returns a model, a dict/list (serialised as JSON), a (value, status) pair or a Response."""

    def decorator(fn: Callable) -> Callable:
        endpoint = f"{fn.__module__.rsplit('.', 1)[-1]}_{fn.__name__}"

        @functools.wraps(fn)
        def view(**kwargs):
            if auth:
                _authenticate()
                if roles:
                    require_role(*roles)
            if query is not None:
                kwargs["params"] = parse_model(query, request.args.to_dict(), "query")
            if body is not None:
                data = request.get_json(silent=True)
                if data is None:
                    raise BadInput(_("Badan permintaan harus JSON yang valid."), code="invalid_json")
                kwargs["body"] = parse_model(body, data, "body")
            result = fn(**kwargs)
            code = status
            if isinstance(result, tuple):
                result, code = result
            if isinstance(result, Response):
                return result
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            return jsonify(result), code

        api.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
        SPECS.append(RouteSpec(rule=rule, method=method, endpoint=endpoint, summary=summary, tag=tag, body=body,
                               query=query, response=response, status=status, auth=auth, roles=roles,
                               body_content=body_content or {}, response_content=response_content))
        return view

    return decorator


# --- paging and errors live in app/web.py and app/errors.py (pages use them too) ----------------

@api.errorhandler(LenteraError)
def _lentera_error(exc: LenteraError):
    from app.extensions import db

    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.details)


# --- OpenAPI ------------------------------------------------------------------------------

_CONVERTER_TYPES = {"int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},  # see web.BoundedIntConverter
                    "float": {"type": "number"}, "path": {"type": "string"},
                    "string": {"type": "string"}, "default": {"type": "string"}}


def _rename_refs(value: Any, renames: dict[str, str]) -> Any:
    import json

    text = json.dumps(value)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    return json.loads(text)


def _place(items: dict[str, dict], components: dict, module: str = "") -> dict[str, str]:
    """Move named schemas into components; answer the names that had to change.

    Two domains may name different models alike (`UnitOut`, `SummaryOut`); written into one
    components table the later would silently replace the earlier, and the document would describe
    one route's answer with the other's fields. A name already taken by a different schema gets
    the module's name as a prefix (or a number), and references to it are rewritten."""
    renames: dict[str, str] = {}
    for name, sub in items.items():
        if name in components and components[name] != sub:
            new, n = (f"{module}{name}" if module else f"{name}2"), 2
            while new in components and components[new] != sub:
                n += 1
                new = f"{name}{n}"
            renames[name] = new
    for name, sub in items.items():
        components[renames.get(name, name)] = _rename_refs(sub, renames) if renames else sub
    return renames


def _module_prefix(model: Any) -> str:
    name = getattr(model, "__module__", "").rsplit(".", 1)[-1]
    return name[:1].upper() + name[1:] if name else ""


def _schema_of(model: Any, components: dict) -> dict:
    """JSON Schema of a pydantic model (or list[Model]) with its definitions moved to components."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    items = schema.pop("$defs", {})
    if isinstance(model, type) and issubclass(model, BaseModel):
        items[model.__name__] = schema
        renames = _place(items, components, _module_prefix(model))
        return {"$ref": f"#/components/schemas/{renames.get(model.__name__, model.__name__)}"}
    renames = _place(items, components)  # list[Model] and the like: the wrapper stays inline
    return _rename_refs(schema, renames) if renames else schema


def _input_schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    items = schema.pop("$defs", {})
    name = model.__name__ + "Input"
    items[name] = schema
    renames = _place(items, components, _module_prefix(model))
    return {"$ref": f"#/components/schemas/{renames.get(name, name)}"}


def openapi_document() -> dict:
    components: dict[str, dict] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}}}}},
        }
    }
    rules = {r.endpoint: r for r in current_app.url_map.iter_rules()}
    paths: dict[str, dict] = {}
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for spec in SPECS:
        rule = rules.get(f"api.{spec.endpoint}")
        if rule is None:
            continue
        path = re.sub(r"<(?:([a-z]+):)?([a-zA-Z_]+)>", r"{\2}", rule.rule)
        params = []
        for conv, name in re.findall(r"<(?:([a-z]+):)?([a-zA-Z_]+)>", rule.rule):
            params.append({"name": name, "in": "path", "required": True,
                           "schema": dict(_CONVERTER_TYPES.get(conv or "default", {"type": "string"}))})
        if spec.query is not None:
            qs = spec.query.model_json_schema()
            required = set(qs.get("required", []))
            for name, prop in qs.get("properties", {}).items():
                prop = {k: v for k, v in prop.items() if k != "title"}
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        op: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag], "operationId": spec.endpoint}
        if params:
            op["parameters"] = params
        if spec.body is not None:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": _input_schema(spec.body, components)}}}
        elif spec.body_content:
            op["requestBody"] = {"required": True, "content": {ct: {"schema": s} for ct, s in spec.body_content.items()}}
        responses: dict[str, Any] = {}
        if spec.response_content:
            responses[str(spec.status)] = {"description": "OK", "content": {spec.response_content: {
                "schema": {"type": "string", "format": "binary"}}}}
        elif spec.response is not None:
            responses[str(spec.status)] = {"description": "OK", "content": {"application/json": {
                "schema": _schema_of(spec.response, components)}}}
        else:
            responses[str(spec.status)] = {"description": "OK"}
        # Every route may answer any error of the contract (API.md): bad input, no or wrong
        # credentials, out of reach, unknown, conflict, too large, a broken rule, throttled.
        codes = ["400", "401", "403", "404", "409", "413", "422", "429"]
        if spec.auth:
            op["security"] = [{"bearer": []}, {"session": []}]
        for c in codes:
            responses[c] = {"description": "Error", "content": error_ref}
        op["responses"] = responses
        paths.setdefault(path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lentera REST API", "version": "1.0.0",
                 "description": "Generated from the routes; docs/api.md in the repository is written from this document."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@api.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


@api.get("/docs")
def docs():
    """The API reference, rendered from the OpenAPI document by Swagger UI (served by the app)."""
    from flask import render_template

    return render_template("api_docs.html")


def user_ctx():
    """The authenticated user of this API request."""
    return current_user._get_current_object()


__all__ = ["api", "route", "paginate", "page_args", "page_of", "Page", "PageQuery", "require_role", "error_response",
           "is_api_request", "openapi_document", "user_ctx", "g"]
