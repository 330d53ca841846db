"""Errors as people should see them: a page in the portal's look, a JSON ``detail`` for the API,
a message HTMX can show, a sign-in page when the session has ended."""

from __future__ import annotations

import json
import logging

from asyncpg.exceptions import (
    DataError,
    OperatorInterventionError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app import text
from app.errors import InvalidInput
from app.i18n import N_
from app.i18n import gettext as _
from app.tenancy.context import Forbidden, NotFound
from app.urls import url
from app.web.identity import is_api_path

log = logging.getLogger("portal.errors")

TITLES = {
    400: N_("请求有误"),
    401: N_("请先登录"),
    403: N_("没有权限"),
    404: N_("页面不存在"),
    405: N_("不支持此操作"),
    413: N_("提交的内容过大"),
    429: N_("操作过于频繁"),
    500: N_("系统出错了"),
    503: N_("系统暂时不可用"),
}

EXPLANATIONS = {
    403: N_("您的角色不能执行此操作。如需权限，请联系本县管理员。"),
    404: N_("您要找的内容不存在，或不属于您所在的县。"),
    500: N_("请求未能完成，已记录此错误。请稍后重试；如果一直出现，请联系管理员。"),
    503: N_("数据库或消息服务暂时无法连接，您的操作没有保存。请稍等片刻后重试。"),
}
# How long a client should wait before trying again when a backend is down.
RETRY_AFTER_SECONDS = 10
# A backend that cannot be reached (refused, reset, shut down, timed out, out of connections);
# an error in a query itself stays a 500.
BACKEND_DOWN = (
    ConnectionError,
    TimeoutError,
    PostgresConnectionError,
    OperatorInterventionError,
    TooManyConnectionsError,
    RedisConnectionError,
    RedisTimeoutError,
)


SWAPPED_BY_PORTAL_JS = {400, 422}


def _respond(request: Request, status: int, detail: str, extra=None, headers=None) -> Response:
    if is_api_path(request.url.path):
        body = {"status_code": status, "detail": detail}
        if extra:
            body["extra"] = extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    if status == 401:
        target = url("login", query={"next": request.url.path})
        if request.headers.get("hx-request"):
            return Response("", status_code=401, headers={"HX-Redirect": target})
        return Redirect(target)
    title = _(TITLES.get(status, "请求有误"))
    explanation = _(EXPLANATIONS[status]) if status in EXPLANATIONS else detail
    if request.headers.get("hx-request"):  # shown by portal.js as a message, never swapped in
        message = f"{title}：{explanation}"
        if status in SWAPPED_BY_PORTAL_JS:  # its forms' own 400s are; this one is not a form
            headers = {**(headers or {}), "HX-Reswap": "none", "HX-Trigger": json.dumps({"portal:message": message})}
        return Response(message, status_code=status, media_type=MediaType.TEXT, headers=headers)
    return Template(
        template_name="errors/error.html",
        context={
            "status": status,
            "title": title,
            "explanation": explanation,
            "me": request.scope.get("user"),
            "ctx": request.state.get("tenant_context"),
        },
        status_code=status,
        headers=headers,
    )


def http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException):
        return _respond(request, 401, "authentication required")
    if isinstance(exc, ValidationException) and (refused := _text_rule_broken(exc.extra)):
        return invalid_input(request, InvalidInput(text.REFUSED, field=refused))
    return _respond(request, exc.status_code, str(exc.detail), getattr(exc, "extra", None), exc.headers)


def _text_rule_broken(extra) -> str | None:
    """The field of a body that broke ``app.text``'s rule, said as clearly as a form says it (msgspec
    would name the regular expression)."""
    for problem in extra if isinstance(extra, list) else ():
        message = str(problem.get("message", "")) if isinstance(problem, dict) else ""
        if text.is_rule_broken(message):
            return message.rpartition("at `$.")[2].rstrip("`") or "body"
    return None


def not_found(request: Request, exc: NotFound) -> Response:
    return _respond(request, 404, "not found")


def forbidden(request: Request, exc: Forbidden) -> Response:
    return _respond(request, 403, f"not allowed: {exc}")


def invalid_input(request: Request, exc: InvalidInput) -> Response:
    detail = exc.in_language("en") if is_api_path(request.url.path) else exc.localized()
    return _respond(request, HTTP_400_BAD_REQUEST, detail)


def unstorable_input(request: Request, exc: DataError | OverflowError) -> Response:
    """A value the database cannot take (a number beyond its integers, a NUL character on
    PostgreSQL): bad input, and the transaction it broke was rolled back whole."""
    log.warning("refused a value the database cannot store on %s %s: %s", request.method, request.url.path, exc)
    return invalid_input(request, InvalidInput("输入的数值超出范围，或含有无法保存的字符"))


def backend_unavailable(request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After``: the request changed nothing (its transaction never committed), and
    the pools reconnect by themselves once the backend is back."""
    log.warning("backend unavailable on %s %s: %r", request.method, request.url.path, exc)
    detail = "service unavailable: the database or Redis cannot be reached; nothing was changed, retry shortly"
    return _respond(request, HTTP_503_SERVICE_UNAVAILABLE, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: http_exception,
    NotFound: not_found,
    Forbidden: forbidden,
    InvalidInput: invalid_input,
    DataError: unstorable_input,
    OverflowError: unstorable_input,  # SQLite's "Python int too large to convert to SQLite INTEGER"
    **dict.fromkeys(BACKEND_DOWN, backend_unavailable),
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
}
