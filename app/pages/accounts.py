"""Sign-in, sign-out, language switch, and each person's own API tokens."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts import services
from app.accounts.sessions import COOKIE_NAME, Session
from app.errors import InvalidInput
from app.i18n import LANGUAGES
from app.i18n import gettext as _
from app.tenancy.permissions import Permission
from app.tenancy.services import list_tenants
from app.urls import url
from app.web.feedback import Done, done
from app.web.guards import County, requires
from app.web.identity import CSRF_COOKIE, LANGUAGE_COOKIE, services_of
from app.web.render import page


def _local_path(target: str, fallback: str) -> str:
    """Only a path on this site: never a redirect to somewhere else."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _home(identity: services.Identity, tenants: dict[int, str]) -> str:
    if identity.is_superadmin:
        return url("tenants")
    if identity.tenant_id is None:  # a region's inspector
        return url("regions")
    return url("dashboard", tenant=tenants[identity.tenant_id])


def _session_cookies(request: Request, session: Session) -> list[Cookie]:
    """The session's id, and its CSRF token for the pages' scripts (the same as Litestar's cookie)."""
    secure = services_of(request).settings.secure_cookies
    return [
        Cookie(key=COOKIE_NAME, value=session.id, httponly=True, samesite="lax", path="/", secure=secure),
        Cookie(key=CSRF_COOKIE, value=session.csrf_token, samesite="lax", path="/", secure=secure),
    ]


def _language_cookie(language: str) -> Cookie:
    return Cookie(key=LANGUAGE_COOKIE, value=language, max_age=365 * 86400, path="/", samesite="lax", httponly=True)


def _expired(key: str) -> Cookie:
    return Cookie(key=key, value="", max_age=0, path="/")


@get("/login", name="login")
async def login_form(request: Request, next: FromQuery[str] = "", tenant: FromQuery[str] = "") -> Template:
    return page(
        request,
        "accounts/login.html",
        {"tenants": await list_tenants(), "next": next, "selected": tenant, "error": "", "username": ""},
    )


@post("/login", name="login_submit")
async def login(request: Request) -> Template | Redirect:
    form = await request.form()
    tenant_slug, username = form.get("tenant", "").strip(), form.get("username", "").strip()
    password, next_path = form.get("password", ""), form.get("next", "")
    svc = services_of(request)
    address = request.state.get("address", "")
    account = f"{tenant_slug}/{username}"
    identity = None
    if not await svc.throttle.admit(account, address):
        status = 429
        error = _("登录失败次数过多，请 {minutes} 分钟后再试。").format(minutes=svc.settings.login_window_minutes)
    else:
        identity = await services.authenticate(tenant_slug, username, password)
        if identity is None:
            status, error = 401, _("县、用户名或密码不正确。")
    if identity is None:
        context = {
            "tenants": await list_tenants(),
            "next": next_path,
            "selected": tenant_slug,
            "error": error,
            "username": username,
        }
        return page(request, "accounts/login.html", context, status_code=status)
    await svc.throttle.succeeded(account, address)
    old = request.scope.get("auth")
    if old is not None:
        await svc.sessions.destroy(old)
    session = await svc.sessions.create(identity.user_id)
    tenants = {t.id: t.slug for t in await list_tenants()}
    # A new session id and the session's own CSRF token: nothing from before sign-in survives.
    cookies = _session_cookies(request, session)
    if language := await services.language_of(identity.user_id):  # the account's choice wins over the browser's
        cookies.append(_language_cookie(language))
    return Redirect(_local_path(next_path, _home(identity, tenants)), cookies=cookies)


@post("/logout", name="logout")
async def logout(request: Request) -> Redirect:
    session = request.scope.get("auth")
    if session is not None:
        await services_of(request).sessions.destroy(session)
    return Redirect(url("login"), cookies=[_expired(COOKIE_NAME), _expired(CSRF_COOKIE)])


@post("/language", name="language")
async def switch_language(request: Request) -> Redirect:
    form = await request.form()
    language = form.get("language", "zh")
    back = _local_path(form.get("back", "/"), "/")
    if language not in LANGUAGES:
        language = "zh"
    identity = request.scope.get("user")
    if identity is not None:
        await services.keep_language(identity.user_id, language)
    return Redirect(back, cookies=[_language_cookie(language)])


@get("/", name="home")
async def home(request: Request) -> Redirect:
    identity = request.scope.get("user")
    if identity is None:
        return Redirect(url("login"))
    return Redirect(_home(identity, {t.id: t.slug for t in await list_tenants()}))


PUBLIC = [login_form, login, logout, switch_language, home]


# --- county pages -------------------------------------------------------------------------------


@get("/tokens", name="tokens", guards=[requires(Permission.TOKENS_OWN)])
async def tokens_page(request: Request, ctx: County) -> Template:
    return page(
        request, "accounts/tokens.html", {"tokens": await services.my_tokens(ctx), "new_token": None, "error": ""}
    )


@post("/tokens", name="token_create", guards=[requires(Permission.TOKENS_OWN)])
async def create_token(request: Request, ctx: County) -> Template:
    form = await request.form()
    error, new_token = "", None
    try:
        new_token = await services.create_token(ctx, ctx.actor.require_user(), form.get("label", ""))
    except InvalidInput as exc:
        error = exc.localized()
    response = page(
        request,
        "accounts/tokens.html",
        {"tokens": await services.my_tokens(ctx), "new_token": new_token, "error": error},
        fragments=("tokens",),
    )
    return done(request, response, Done.TOKEN_CREATED) if new_token else response


@post("/tokens/{token_id:int}/revoke", name="token_revoke", guards=[requires(Permission.TOKENS_OWN)])
async def revoke_token(request: Request, ctx: County, token_id: FromPath[int]) -> Template:
    await services.revoke_token(ctx, token_id)
    response = page(
        request,
        "accounts/tokens.html",
        {"tokens": await services.my_tokens(ctx), "new_token": None, "error": ""},
        fragments=("tokens",),
    )
    return done(request, response, Done.TOKEN_REVOKED)


PAGES = [tokens_page, create_token, revoke_token]
