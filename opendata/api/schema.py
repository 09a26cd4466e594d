"""The OpenAPI 3.1 document of the API, generated from the datasets' columns:
a column's type becomes its JSON Schema type, a nullable column also admits
``null``, and every row lists exactly its dataset's columns."""

from urllib.parse import unquote

from django.urls import reverse
from django.utils.translation import gettext as _

from ..datasets import BOOL, DATE, DATETIME, INT, TEXT, Column
from ..formats import LICENCE, LICENCE_URL
from .endpoints import (
    DEFAULT_LIMIT,
    ENDPOINTS,
    MAX_ID,
    MAX_LIMIT,
    MAX_PAGE,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    Endpoint,
)

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
ERROR_CODES = ("bad_parameter", "not_found", "method_not_allowed")
CODE_MAX_LENGTH = 20  # Project.code

SLUG_SCHEMA = {"type": "string", "maxLength": SLUG_MAX_LENGTH, "pattern": SLUG_PATTERN}
_JSON_TYPES = {
    INT: {"type": "integer"},
    TEXT: {"type": "string"},
    BOOL: {"type": "boolean"},
    DATE: {"type": "string", "format": "date"},
    DATETIME: {"type": "string", "format": "date-time"},
}


def column_schema(column: Column) -> dict:
    schema = dict(_JSON_TYPES[column.type])
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    schema["description"] = str(column.description)
    return schema


def row_schema(endpoint: Endpoint) -> dict:
    dataset = endpoint.dataset
    return {
        "type": "object",
        "title": str(dataset.title),
        "description": str(dataset.description),
        "properties": {c.name: column_schema(c) for c in dataset.columns},
        "required": dataset.column_names,
        "additionalProperties": False,
    }


def value_schema(column: Column) -> dict:
    """What a filter or a path segment for this column accepts: a number, a
    slug, or a project's code (free text, up to 20 characters)."""
    if column.type == INT:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if column.name == "code":
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": CODE_MAX_LENGTH,
            "pattern": "^[^/]+$",
        }
    return SLUG_SCHEMA


def _page_schema(endpoint: Endpoint) -> dict:
    link = {"type": ["string", "null"], "format": "uri"}
    return {
        "type": "object",
        "properties": {
            "next": {**link, "description": _("The next page (null on the last)")},
            "previous": {
                **link,
                "description": _("The previous page (null on the first)"),
            },
            "results": {
                "type": "array",
                "maxItems": MAX_LIMIT,
                "items": {"$ref": f"#/components/schemas/{endpoint.schema_name}"},
            },
        },
        "required": ["next", "previous", "results"],
        "additionalProperties": False,
    }


def _parameters() -> dict:
    return {
        "community": {
            "name": "community",
            "in": "query",
            "description": _(
                "Only this public community (404 for a private or unknown one)"
            ),
            "schema": SLUG_SCHEMA,
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "description": _("Rows per page"),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
        "page": {
            "name": "page",
            "in": "query",
            "description": _("Page number, from 1 (404 past the last page)"),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PAGE,
                "default": 1,
            },
        },
    }


def _filter(endpoint: Endpoint, name: str, where: str) -> dict:
    column = endpoint.column(name)
    parameter = {
        "name": name,
        "in": where,
        "description": str(column.description),
        "schema": value_schema(column),
    }
    if where == "path":
        parameter["required"] = True
    return parameter


def _ok(description: str, schema: dict) -> dict:
    return {
        "description": description,
        "headers": {
            "Access-Control-Allow-Origin": {
                "required": True,
                "schema": {"type": "string", "const": "*"},
            },
            "Cache-Control": {"required": True, "schema": {"type": "string"}},
        },
        "content": {"application/json": {"schema": schema}},
    }


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def path_template(name: str, params: tuple[str, ...]) -> str:
    return unquote(reverse(name, kwargs={p: "{" + p + "}" for p in params}))


def openapi_document() -> dict:
    paths = {}
    for endpoint in ENDPOINTS.values():
        dataset = endpoint.dataset
        operation = endpoint.slug.replace("-", "_")
        paths[path_template(f"api:{endpoint.slug}-list", ())] = {
            "get": {
                "operationId": f"{operation}_list",
                "tags": [endpoint.slug],
                "summary": str(dataset.title),
                "description": str(dataset.description),
                "parameters": [
                    {"$ref": "#/components/parameters/community"},
                    *(_filter(endpoint, name, "query") for name in endpoint.filters),
                    {"$ref": "#/components/parameters/limit"},
                    {"$ref": "#/components/parameters/page"},
                ],
                "responses": {
                    "200": _ok(_("A page of rows"), _page_schema(endpoint)),
                    "400": {"$ref": "#/components/responses/BadParameter"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        }
        if not endpoint.key:
            continue
        paths[path_template(f"api:{endpoint.slug}-detail", endpoint.key)] = {
            "get": {
                "operationId": f"{operation}_detail",
                "tags": [endpoint.slug],
                "summary": _("One row of “%(title)s”") % {"title": dataset.title},
                "parameters": [_filter(endpoint, k, "path") for k in endpoint.key],
                "responses": {
                    "200": _ok(
                        _("The row"),
                        {"$ref": f"#/components/schemas/{endpoint.schema_name}"},
                    ),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        }
    schemas = {e.schema_name: row_schema(e) for e in ENDPOINTS.values()}
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "string", "enum": list(ERROR_CODES)},
            "detail": {"type": "string", "description": _("What is wrong")},
        },
        "required": ["error", "detail"],
        "additionalProperties": False,
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("Open data API"),
            "version": API_VERSION,
            "description": _(
                "Read-only open data of the public communities: processes, "
                "projects, results, campaigns, match rounds and the ledger. "
                "No personal data. Amounts are integer cents with a currency; "
                "dates and times are ISO 8601, in UTC."
            ),
            "license": {"name": LICENCE, "url": LICENCE_URL},
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": _parameters(),
            "responses": {
                "BadParameter": _error(_("A parameter is not valid")),
                "NotFound": _error(_("No such community, page or row")),
            },
        },
    }
