"""The gates every route passes: membership of the county in the path, then the permission.

``tenant_guard`` sits on the county routers, so a handler below them cannot forget it; routes
declare their permission with ``requires(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app import db
from app.accounts.services import Identity
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission

CONTEXT_KEY = "tenant_context"


def signed_in(connection: ASGIConnection) -> Identity:
    identity = connection.scope.get("user")
    if identity is None:
        raise NotAuthorizedException("sign in first")
    return identity


async def tenant_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    # Async on purpose: Litestar runs a sync guard in a worker thread, whose copy of the context
    # would take the county (``db.enter_county``) away with it, leaving the handler without the
    # row-level-security backstop (and its queries planned over every county).
    # The identity carries the county of the path when the person belongs to it (one statement
    # found both, app.web.identity); another county is answered like a county that does not exist.
    identity = signed_in(connection)
    tenant = identity.county
    if tenant is None or tenant.slug != connection.path_params.get("tenant"):
        raise NotFoundException("not found")
    db.enter_county(tenant.id)
    connection.state[CONTEXT_KEY] = TenantContext(
        tenant=tenant, actor=identity.actor(connection.state.get("address", ""))
    )


async def superadmin_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not signed_in(connection).is_superadmin:
        raise PermissionDeniedException("superadmin only")


@dataclass(frozen=True)
class PermissionGuard:
    """The county's actor must hold ``permission`` (which the API reference, docs/api.md, reads)."""

    permission: Permission

    async def __call__(self, connection: ASGIConnection, _: BaseRouteHandler) -> None:  # async: no thread hop
        context: TenantContext = connection.state[CONTEXT_KEY]
        if not context.actor.can(self.permission):
            raise PermissionDeniedException(f"this needs the permission {self.permission}")


def requires(permission: Permission) -> PermissionGuard:
    return PermissionGuard(permission)


def tenant_context(request: Request) -> TenantContext:
    """Dependency: the county context the guard established."""
    return request.state[CONTEXT_KEY]


# How a county handler asks for its context: ``ctx: County``.
County = NamedDependency[TenantContext]
