"""The OpenAPI schema at /schema says every answer the API gives and every body it refuses.

- Each county API operation lists its refusals (401, 403, 404, 503; 413 with a body) beside its
  own answers and the 400 Litestar documents.
- A body struct with ``forbid_unknown_fields`` is an object with ``additionalProperties: false``
  (Litestar leaves that out), so clients and fuzzers know unknown fields are refused.
"""

from __future__ import annotations

import inspect

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec


class Refusal(msgspec.Struct):
    """The body of every refusal of the API: ``detail`` says what is wrong, in English."""

    status_code: int
    detail: str
    extra: list[dict] | dict | None = None


def _refusal(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Refusal, description=description, generate_examples=False)


COUNTY_API_ANSWERS = {
    401: _refusal("No valid `Authorization: Bearer <token>`."),
    403: _refusal("The caller's roles do not allow this operation."),
    404: _refusal("No such county, or no such object in it: another county's objects are answered the same."),
    503: _refusal("The database or Redis cannot be reached; nothing was changed. Retry after `Retry-After` seconds."),
}
BODY_TOO_LARGE = {413: _refusal("The body is larger than the API accepts.")}


def documented(handlers: list) -> list:
    """The county API ``handlers``, their OpenAPI operations listing every answer they can give
    besides their own (400, which Litestar documents, included)."""
    for handler in handlers:
        answers = {**COUNTY_API_ANSWERS, **(handler.responses or {})}
        if "data" in inspect.signature(handler.fn).parameters:
            answers.update(BODY_TOO_LARGE)
        handler.responses = answers
    return handlers


class StrictStructSchemaPlugin(StructSchemaPlugin):
    def to_openapi_schema(self, field_definition, schema_creator):
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
