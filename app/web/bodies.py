"""What a request body may be before any handler reads it.

Forms keep ``app.text``'s rule in every field (so no form can forget it); a JSON body nests at
most ``MAX_JSON_DEPTH`` deep (decoders recurse: a body nested a thousand deep would end in a
RecursionError); any body is at most ``MAX_BODY_BYTES`` (Litestar answers 413 beyond); a JSON body has exactly
the types its schema says.
"""

from __future__ import annotations

import re

import msgspec
from litestar import Request
from litestar.exceptions import NotFoundException, ValidationException

from app import text
from app.errors import InvalidInput
from app.i18n import N_

MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 32

# Form fields that hold notes (a <textarea>): line breaks and tabs allowed. Passwords are never
# shown, and stored only hashed, so they may hold anything.
NOTES = frozenset({"content", "findings", "conclusion", "handover", "materials", "other_items", "resolution"})
UNCHECKED = frozenset({"password"})
# How a refused field is named in the message (others by their form name).
FIELD_LABELS = {
    "username": N_("用户名"),
    "name": N_("名称"),
    "phone": N_("电话"),
    "email": N_("电子邮箱"),
    "reason": N_("事由"),
    "contact": N_("联系方式"),
    "applicant_name": N_("申请人姓名"),
    "applicant_id_number": N_("身份证号"),
    "address": N_("地址"),
    "place": N_("公示地点"),
    "raised_by": N_("提出人"),
    "rater_label": N_("评议人"),
    "note": N_("备注"),
    "items": N_("材料"),
}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _check_path(request: Request) -> None:
    """Whole-number path parameters exactly as written: Litestar converts with ``int()``, which
    also takes ``3\t``, ``+3`` or ``03`` for 3; such a path names nothing (404)."""
    segments = request.scope["path"].split("/")
    for value in request.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and str(value) not in segments:
            raise NotFoundException()


async def check_body(request: Request) -> None:
    """``before_request`` of the app: refuse a crooked path or a hostile body whole, before any
    handler decodes it."""
    _check_path(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and name not in UNCHECKED:
                text.check(value, FIELD_LABELS.get(name, name), note=name in NOTES)
        return
    body = await request.body()
    if not body:
        return
    if json_depth(body) > MAX_JSON_DEPTH:  # the API decodes JSON whatever the content type says
        raise InvalidInput("请求内容嵌套过深（最多 {limit} 层）", limit=MAX_JSON_DEPTH)
    expected = request.route_handler.parsed_data_field
    if expected is not None:
        _strictly(body, expected.annotation)


def _strictly(body: bytes, expected: object) -> None:
    """A JSON body must be of its schema's types as they are: Litestar's own decoding is lax (it
    takes ``"true"`` for a boolean and ``"5"`` for a number), which the schema does not promise."""
    try:
        msgspec.json.decode(body, type=expected, strict=True)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise ValidationException(
            f"the body does not match the schema: {exc}", extra=[{"message": str(exc), "source": "body"}]
        ) from None
