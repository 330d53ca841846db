"""Who is asking: one middleware resolves the session cookie (pages) or the bearer token (API).

The API never accepts the cookie, so the cookie-only CSRF protection covers every page and no
page-less request can be forged with it.

A signed-in visitor's CSRF token is their session's own: the CSRF middleware (which runs after
this one) compares what a form sends with the session's token, whatever the browser's CSRF
cookie says, so a token planted in the browser or left from before sign-in is worthless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arq.connections import ArqRedis
from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.status_codes import HTTP_400_BAD_REQUEST
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from app import db
from app.accounts.ratelimit import LoginThrottle
from app.accounts.services import Identity, identity_for_token, identity_of
from app.accounts.sessions import COOKIE_NAME, Session, SessionStore
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, set_language
from app.regions.services import identity_for_token as inspector_for_token
from app.settings import Settings
from app.tenancy import cache

LANGUAGE_COOKIE = "lang"
CSRF_COOKIE = "csrftoken"  # Litestar's CSRFConfig default name
API_PREFIX = "/api/v1/"
READING_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Services:
    """Process-wide collaborators, kept on ``app.state.services``."""

    settings: Settings
    redis: Redis
    queue: ArqRedis  # app.jobs enqueues through it
    sessions: SessionStore
    throttle: LoginThrottle


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


# The county a path belongs to (``/t/{slug}/…`` pages, ``/api/v1/t/{slug}/…`` calls), looked up
# with the person so that the tenant guard needs no query of its own.
COUNTY_PATH = re.compile(r"^/(?:api/v1/)?t/([^/]+)")


def county_slug_of(path: str) -> str:
    found = COUNTY_PATH.match(path)
    return found.group(1) if found else ""


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def _ended_first(transaction, send: Send) -> Send:
    """The request's transaction ends before its answer starts: committed when the answer is a
    success or a redirect, rolled back on an error. A client that sees the answer (and asks the
    next page, maybe of another server process) sees what the request wrote."""

    async def send_when_ended(message) -> None:
        if message["type"] == "http.response.start" and transaction.is_open():
            await transaction.end(commit=message["status"] < HTTP_400_BAD_REQUEST)
        await send(message)

    return send_when_ended


def _member(identity: Identity) -> bool:
    """Only the county's own people are kept: a change to them (their roles, their account, their
    tokens) is made in a request of their county or outside any, and either bumps a version."""
    return identity.county is not None


class IdentityMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope)
        services = services_of(request)
        scope["state"]["address"] = client_address(scope, services.settings.trusted_proxies)
        with db.county(None):  # the tenant guard names it; it ends with the request
            async with db.request_transaction() as transaction:
                # Pages a county keeps (app.tenancy.cache) only on PostgreSQL, for reading requests.
                slug = county_slug_of(scope["path"]) if transaction is not None else ""
                keys = cache.version_keys(slug) if slug and request.method in READING_METHODS else ()
                scope["user"], scope["auth"], versions = await self.identify(request, services, keys)
                with cache.request_of(slug, versions):
                    await next_app(scope, receive, send if transaction is None else _ended_first(transaction, send))

    async def identify(
        self, request: Request, services: Services, version_keys: tuple[str, ...]
    ) -> tuple[Identity | None, Session | None, tuple[str, int, int] | None]:
        """Who asks, their session, and the versions of what their county keeps (``version_keys``
        read in the same Redis round trip as the session; None when not asked for)."""
        county_slug = county_slug_of(request.scope["path"])
        if is_api_path(request.scope["path"]):
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None, None, None
            token = token.strip()
            current = (
                await cache.versions_of(services.redis, await services.redis.mget(version_keys))
                if version_keys
                else None
            )
            identity = await cache.kept_visitor(
                county_slug, current, ("token", token), lambda: identity_for_token(token, county_slug), keep=_member
            )
            if identity is None:
                return await inspector_for_token(token), None, None
            return identity, None, current
        language = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
        set_language(language if language in LANGUAGES else DEFAULT_LANGUAGE)
        session, versions = await services.sessions.load_with(request.cookies.get(COOKIE_NAME, ""), version_keys)
        if session is None:
            return None, None, None
        current = await cache.versions_of(services.redis, versions) if versions else None
        identity = await cache.kept_visitor(
            county_slug,
            current,
            session.user_id,
            lambda: identity_of(session.user_id, county_slug),
            keep=_member,
        )
        if identity is None:  # disabled since: the session dies now
            await services.sessions.destroy(session)
            return None, None, None
        request.cookies[CSRF_COOKIE] = session.csrf_token  # what the CSRF middleware reads
        return identity, session, current
