"""What a person sees after a change that worked: a short confirmation, with an undo where one
is cheap.

Every handler says it the same way, ``return done(request, response, Done.X, undo=...)``:
- an HTMX answer carries the event ``portal:saved`` in ``HX-Trigger`` (``portal.js`` shows it);
- a redirect (Post/Redirect/Get, also when HTMX follows it) leaves the news in a short-lived
  cookie that the next page shows (in the page without JavaScript, as the event with it) and clears;
- a page answered directly gets it in its context.

The cookie holds only the name of a ``Done`` member and an undo path of the same county, both
checked when read: a forged cookie can show one of our own messages and nothing else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from litestar import Request, Response
from litestar.response import Template

from app.i18n import N_, gettext
from app.urls import url
from app.web.identity import services_of

COOKIE = "portal_done"
EVENT = "portal:saved"
R = TypeVar("R", bound=Response)
_UNDO_PATH = re.compile(r"^/t/[a-z0-9-]+/[A-Za-z0-9/_-]+(\?[A-Za-z0-9=&%_.-]*)?$")


class Done(Enum):
    """The confirmations the portal gives (the value is the Chinese message)."""

    SAVED = N_("已保存")
    CREATED = N_("已创建")
    DELETED = N_("已删除")
    ABSENCE_POSTED = N_("离岗告示已发布")
    ABSENCE_RECORDED = N_("已补录离岗记录")
    ABSENCE_APPROVED = N_("已批准离岗申请")
    ABSENCE_REJECTED = N_("已驳回离岗申请")
    ABSENCE_CANCELLED = N_("离岗告示已撤销")
    ABSENCE_RETURNED = N_("已登记返岗")
    PICKED = N_("已指定替岗人员")
    POST_CHANGED = N_("A/B岗已保存")
    CASE_CREATED = N_("案件已受理")
    CASE_STEP = N_("案件已更新")
    ENQUIRY_LOGGED = N_("首问登记已保存")
    RATING_SAVED = N_("评分已保存")
    CYCLE_CHANGED = N_("考评已更新")
    STAFF_CREATED = N_("人员已添加")
    STAFF_SAVED = N_("人员信息已保存")
    SETTINGS_SAVED = N_("设置已保存")
    TOKEN_CREATED = N_("API 令牌已创建")
    TOKEN_REVOKED = N_("API 令牌已吊销")


@dataclass(frozen=True)
class Toast:
    message: str
    undo: str = ""  # a path of the same county to POST to; its query string becomes the form

    @property
    def undo_path(self) -> str:
        return urlsplit(self.undo).path

    @property
    def undo_fields(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.undo).query)

    def event(self) -> str:
        # ASCII JSON: header values are Latin-1, htmx parses the escapes back.
        return json.dumps({EVENT: {"message": self.message, "undo": self.undo}})


def _htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")


def _with_event(response: Response, toast: Toast) -> None:
    """Adds our event to whatever ``HX-Trigger`` the response already carries."""
    events: dict = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        events = json.loads(existing) if existing.startswith("{") else {name: None for name in existing.split(",")}
    events.update(json.loads(toast.event()))
    response.headers["HX-Trigger"] = json.dumps(events)


def done(request: Request, response: R, what: Done = Done.SAVED, *, undo: str = "") -> R:
    """Tells the person that the change behind ``response`` worked (and how to take it back)."""
    if response.status_code is not None and 300 <= response.status_code < 400:
        response.set_cookie(
            COOKIE,
            quote(f"{what.name} {undo}", safe=""),
            max_age=60,
            path="/",
            httponly=True,
            samesite="lax",
            secure=services_of(request).settings.secure_cookies,
        )
    elif _htmx(request):
        _with_event(response, Toast(gettext(what.value), undo))
    elif isinstance(response, Template):
        response.context["toast"] = Toast(gettext(what.value), undo)
    return response


def waiting(request: Request) -> Toast | None:
    """The confirmation a redirect left for this page, if it is one of ours."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    name, _, undo = unquote(raw).partition(" ")
    if name not in Done.__members__:
        return None
    tenant = request.path_params.get("tenant")
    own_county = bool(tenant) and undo.startswith(url("dashboard", tenant=tenant)) and bool(_UNDO_PATH.match(undo))
    return Toast(gettext(Done[name].value), undo if own_county else "")


def deliver(request: Request, response: Template) -> Template:
    """Puts a waiting confirmation into ``response`` (a page or an HTMX fragment) and clears it."""
    if COOKIE not in request.cookies:
        return response
    toast = waiting(request)
    response.delete_cookie(COOKIE, path="/")
    if toast is None:
        return response
    if _htmx(request):
        _with_event(response, toast)
    else:
        response.context["toast"] = toast
    return response
