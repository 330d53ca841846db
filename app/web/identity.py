"""Who is asking: one middleware resolves the session cookie (pages) or the bearer token (API).

The API never accepts the cookie, so the cookie-only CSRF protection covers every page and no
page-less request can be forged with it.

A signed-in visitor's CSRF token is their session's own: the CSRF middleware (which runs after
this one) compares what a form sends with the session's token, whatever the browser's CSRF
cookie says, so a token planted in the browser or left from before sign-in is worthless.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app import db
from app.accounts.services import Identity, identity_for_token, identity_of
from app.accounts.sessions import COOKIE_NAME, Session
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, set_language
from app.regions.services import identity_for_token as inspector_for_token
from app.settings import Settings

LANGUAGE_COOKIE = "lang"
CSRF_COOKIE = "csrftoken"  # Litestar's CSRFConfig default name
API_PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Services:
    """Process-wide collaborators, kept on ``app.state.services``."""

    settings: Settings
    redis: object
    queue: object  # arq's ArqRedis: app.jobs enqueues through it
    sessions: object
    throttle: object


def services_of(connection) -> Services:
    return connection.app.state.services


def client_address(scope: Scope, trusted_proxies: frozenset[str]) -> str:
    """The peer address, or the first untrusted hop of X-Forwarded-For behind a trusted proxy."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    if peer not in trusted_proxies:
        return peer
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
            for hop in reversed(hops):
                if hop not in trusted_proxies:
                    return hop
    return peer


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class IdentityMiddleware(ASGIMiddleware):
    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        services = services_of(request)
        scope["state"]["address"] = client_address(scope, services.settings.trusted_proxies)
        identity: Identity | None = None
        session: Session | None = None
        if is_api_path(scope["path"]):
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token:
                token = token.strip()
                identity = await identity_for_token(token) or await inspector_for_token(token)
        else:
            language = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
            set_language(language if language in LANGUAGES else DEFAULT_LANGUAGE)
            session = await services.sessions.load(request.cookies.get(COOKIE_NAME, ""))
            if session is not None:
                identity = await identity_of(session.user_id)
                if identity is None:  # disabled since: the session dies now
                    await services.sessions.destroy(session)
                    session = None
                else:
                    request.cookies[CSRF_COOKIE] = session.csrf_token  # what the CSRF middleware reads
        scope["user"] = identity
        scope["auth"] = session
        with db.county(None):  # the tenant guard names it; it ends with the request
            await next_app(scope, receive, send)
