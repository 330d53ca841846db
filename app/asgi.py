"""``create_app(settings)``: the only place the Litestar application is built."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from arq.connections import RedisSettings, create_pool
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from redis.asyncio import Redis

from app import db, urls
from app.accounts.passwords import use_fast_hashing
from app.accounts.ratelimit import LoginLimits, LoginThrottle
from app.accounts.sessions import SessionStore
from app.calendar import office_web
from app.dashboard import web as dashboard_web
from app.evaluation import api as evaluation_api
from app.evaluation import link_web as evaluation_link_web
from app.history import web as audit_web
from app.imports import api as imports_api
from app.imports import web as imports_web
from app.jobs import api as jobs_api
from app.jobs import web as jobs_web
from app.notifications import settings_web
from app.notifications import web as notifications_web
from app.operations import web as operations_web
from app.pages import absences as absences_web
from app.pages import absences_api as absences_api
from app.pages import accounts as accounts_web
from app.pages import accounts_api, rota_api
from app.pages import calendar as calendar_web
from app.pages import calendar_api as calendar_api
from app.pages import cases as cases_web
from app.pages import cases_api as cases_api
from app.pages import evaluation as evaluation_pages
from app.pages import evaluation_results as evaluation_results_pages
from app.pages import regions as regions_web
from app.pages import rota as rota_web
from app.robots import web as robots_web
from app.robots.services import hear_the_inbox
from app.settings import Mode, Settings
from app.setup import web as setup_web
from app.staff import api as staff_api
from app.staff import web as staff_web
from app.stats import api as stats_api
from app.stats import web as stats_web
from app.tenancy import cache
from app.todo import web as todo_web
from app.web.bodies import MAX_BODY_BYTES, check_body
from app.web.errors import EXCEPTION_HANDLERS
from app.web.favicon import favicon
from app.web.guards import tenant_context, tenant_guard
from app.web.health import health
from app.web.identity import API_PREFIX, IdentityMiddleware, Services
from app.web.methods import complete_allow_header
from app.web.openapi import StrictStructSchemaPlugin, documented
from app.web.region_gate import region_context, region_guard
from app.web.render import template_engine
from app.web.security import add_security_headers

STATIC_DIR = Path(__file__).parent / "static"

# Every county page and API handler lives below these two routers, behind ``tenant_guard``.
COUNTY_PAGES = [
    *dashboard_web.PAGES,
    *todo_web.PAGES,
    *accounts_web.PAGES,
    *audit_web.PAGES,
    *staff_web.PAGES,
    *rota_web.PAGES,
    *absences_web.PAGES,
    *notifications_web.PAGES,
    *settings_web.PAGES,
    *robots_web.PAGES,
    *office_web.PAGES,
    *calendar_web.PAGES,
    *cases_web.PAGES,
    *jobs_web.PAGES,
    *evaluation_pages.PAGES,
    *evaluation_results_pages.PAGES,
    *stats_web.PAGES,
    *imports_web.PAGES,
    *operations_web.PAGES,
]
COUNTY_API = documented(
    [
        *accounts_api.API,
        *audit_web.API,
        *staff_api.API,
        *rota_api.API,
        *absences_api.API,
        *notifications_web.API,
        *settings_web.API,
        *robots_web.API,
        *office_web.API,
        *jobs_api.API,
        *calendar_api.API,
        *cases_api.API,
        *evaluation_api.API,
        *stats_api.API,
        *imports_api.API,
    ]
)
PUBLIC = [
    *accounts_web.PUBLIC,
    *setup_web.PUBLIC,
    *regions_web.PUBLIC,
    *calendar_web.PUBLIC,
    *evaluation_link_web.PUBLIC,
    *stats_web.PUBLIC,
    *operations_web.ADMIN_PAGES,
    health,
    favicon,
]


def routers() -> list[Router]:
    """Everything the application serves, below the prefixes its URLs carry."""
    county_dependencies = {"ctx": Provide(tenant_context, sync_to_thread=False)}
    region_dependencies = {"rctx": Provide(region_context, sync_to_thread=False)}
    return [
        Router("/", route_handlers=PUBLIC, include_in_schema=False),  # pages: the schema is the API's
        Router(
            "/t/{tenant:str}",
            route_handlers=COUNTY_PAGES,
            guards=[tenant_guard],
            dependencies=county_dependencies,
            after_response=stats_web.after_county_write,
            include_in_schema=False,
        ),
        Router(
            "/api/v1/t/{tenant:str}",
            route_handlers=COUNTY_API,
            guards=[tenant_guard],
            dependencies=county_dependencies,
            after_response=stats_web.after_county_write,
        ),
        # A region's pages and API: behind the region gate, the only cross-county read path.
        Router(
            "/r/{region:str}",
            route_handlers=[*stats_web.REGION_PAGES, *regions_web.REGION_PAGES],
            guards=[region_guard],
            dependencies=region_dependencies,
            include_in_schema=False,
        ),
        Router(
            "/api/v1/r/{region:str}",
            route_handlers=documented(stats_api.REGION_API),
            guards=[region_guard],
            dependencies=region_dependencies,
        ),
        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static", include_in_schema=False),
    ]


def load_routes() -> None:
    """Hand ``app.urls`` the named handlers' paths (every entry point does, before any link is built)."""
    urls.load(
        {
            handler.name: _linked_path(route.path_format, handler)
            for router in routers()
            for route in router.routes
            if isinstance(route, HTTPRoute)
            for handler in route.route_handlers
            if handler.name
        }
    )


def _linked_path(path: str, handler: HTTPRouteHandler) -> str:
    """A router's own page (``/t/{tenant}``) is linked with the trailing slash it always had."""
    return f"{path}/" if "/" in handler.paths and path != "/" else path


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    use_fast_hashing(settings.mode is Mode.TEST)
    hear_the_inbox()
    load_routes()

    @asynccontextmanager
    async def lifespan(app: Litestar):
        redis = Redis.from_url(settings.redis_url)
        queue = await create_pool(RedisSettings.from_dsn(settings.redis_url))
        async with db.connected(settings):
            app.state.services = Services(
                settings=settings,
                redis=redis,
                queue=queue,
                sessions=SessionStore(
                    redis,
                    settings.session_idle_minutes * 60,
                    settings.session_max_hours * 3600,
                    csrf_secret=settings.secret_key,
                ),
                throttle=LoginThrottle(
                    redis,
                    LoginLimits(
                        settings.login_attempts_per_account,
                        settings.login_attempts_per_address,
                        settings.login_window_minutes * 60,
                    ),
                ),
            )
            try:
                with cache.invalidated_by_writes(redis):
                    yield
            finally:
                await redis.aclose()
                await queue.aclose()

    app = Litestar(
        route_handlers=routers(),
        lifespan=[lifespan],
        middleware=[IdentityMiddleware()],
        before_request=check_body,
        before_send=[add_security_headers(settings)],
        request_max_body_size=MAX_BODY_BYTES,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # Anchored: a county whose slug is "api" or "healthzx" is protected like any other.
            exclude=[f"^{API_PREFIX}", "^/healthz$"],
        ),
        template_config=TemplateConfig(instance=template_engine(settings.templates_dir)),
        plugins=[HTMXPlugin(), StrictStructSchemaPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="County Portal API", version="1", path="/schema"),
        logging_config=LoggingConfig(log_exceptions="debug", disable_stack_trace={404, 401, 403, 400}),
        debug=False,
    )
    app.before_send.append(complete_allow_header(app))
    return app
