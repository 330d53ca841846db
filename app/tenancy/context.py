"""THE scoping mechanism: every query for county data goes through a ``TenantContext``.

A row of another county is indistinguishable from a row that does not exist (``NotFound``).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from piccolo.columns import ForeignKey
from piccolo.query import Count, Objects, Select, Update
from piccolo.table import Table

from app import clock, urls
from app.tenancy.permissions import Permission, permissions_of

T = TypeVar("T", bound=Table)
MAX_ID = 2**31 - 1


class NotFound(LookupError):
    """Nothing of that kind with that id in this county (it may exist in another)."""


class Forbidden(PermissionError):
    """The actor is a member of the county but lacks the permission."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user, or an operator at the command line."""

    user_id: int | None
    label: str
    roles: frozenset[str] = frozenset()
    address: str = ""
    is_superadmin: bool = False
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", permissions_of(self.roles))

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(permission)

    def require_user(self) -> int:
        """The signed-in user's id, for what only a person has (their cases, their signature)."""
        if self.user_id is None:  # an operator at the command line
            raise Forbidden("no user account")
        return self.user_id


def cli_actor(command: str) -> Actor:
    """The operator running ``portal <command>`` (or the demo, or a benchmark) on this machine."""
    return Actor(user_id=None, label=f"portal {command} ({_operator()})"[:100], address="cli", is_superadmin=True)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class TenantInfo:
    id: int
    slug: str
    name: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        return clock.now().astimezone(self.zone)


@dataclass(frozen=True)
class TenantContext:
    tenant: TenantInfo
    actor: Actor

    @staticmethod
    def _tenant_of(table: type[Table]) -> ForeignKey:
        """The table's ``tenant`` column; a table without one cannot be scoped."""
        column = getattr(table, "tenant", None)
        if not isinstance(column, ForeignKey):
            raise TypeError(f"{table.__name__} carries no tenant and cannot be scoped")
        return column

    # columns: what Piccolo's select takes, lists of columns (``all_columns()``) too, which its annotation omits.
    def select(self, table: type[T], *columns: Any) -> Select[T]:
        return table.select(*columns).where(self._tenant_of(table) == self.tenant.id)

    def objects(self, table: type[T]) -> Objects[T]:
        return table.objects().where(self._tenant_of(table) == self.tenant.id)

    def count(self, table: type[T]) -> Count:
        return table.count().where(self._tenant_of(table) == self.tenant.id)

    def update(self, table: type[T], values: dict) -> Update[T]:
        return table.update(values).where(self._tenant_of(table) == self.tenant.id)

    @staticmethod
    def key_of(table: type[T], row_id: Any) -> int:
        """``row_id`` as a key of ``table`` (a written-out query's too), or ``NotFound``."""
        try:
            key = int(row_id)
        except (TypeError, ValueError):
            raise NotFound(f"{table.__name__} {row_id!r}") from None
        if not 0 < key <= MAX_ID:  # ids are PostgreSQL integers: beyond them, nothing is found
            raise NotFound(f"{table.__name__} {row_id!r}")
        return key

    async def get(self, table: type[T], row_id: Any) -> T:
        """The row with ``row_id`` in this county, or ``NotFound``."""
        row = await self.objects(table).where(table._meta.primary_key == self.key_of(table, row_id)).first()
        if row is None:
            raise NotFound(f"{table.__name__} {row_id!r}")
        return row

    async def select_one(self, table: type[T], row_id: Any, *columns: Any) -> dict[str, Any]:
        """Like ``get``, as a dict of ``columns`` (joins allowed) in one query."""
        key = self.key_of(table, row_id)
        row = await self.select(table, *columns).where(table._meta.primary_key == key).first()
        if row is None:
            raise NotFound(f"{table.__name__} {row_id!r}")
        return row

    def new(self, table: type[T], **values: Any) -> T:
        """A new row of this county (save it inside the caller's transaction)."""
        self._tenant_of(table)  # refuses a table that carries no tenant
        return table(tenant=self.tenant.id, **values)

    def url(self, name: str, /, **params: Any) -> str:
        """The path of route ``name`` in this county: ``ctx.url("case", case_id=7)`` (see ``app.urls.url``)."""
        return urls.url(name, tenant=self.tenant.slug, **params)

    def url_with(self, name: str, /, **fixed: Any) -> Callable[..., str]:
        """Links to route ``name`` in this county, the rest given per link (see ``app.urls.url_with``)."""
        return urls.url_with(name, tenant=self.tenant.slug, **fixed)
