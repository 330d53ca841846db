from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app.tenancy.tables import Tenant


class User(Table, tablename="portal_user"):
    """A person with a login. Staff of a county, or a superadmin (no tenant).

    Never deleted: history refers to people. ``active`` off ends their sessions and tokens.
    """

    id: Serial

    tenant = ForeignKey(Tenant, null=True, index=True, on_delete=OnDelete.restrict)
    username = Varchar(length=60, index=True)
    name = Varchar(length=60)
    phone = Varchar(length=30, default="")
    email = Varchar(length=120, default="")
    password_hash = Varchar(length=200, default="")
    active = Boolean(default=True)
    is_superadmin = Boolean(default=False)
    # The interface language the person chose ("" = not chosen: the browser's cookie or Chinese).
    language = Varchar(length=5, default="")
    created_at = Timestamptz()


class RoleGrant(Table):
    """One role held by one user (a person may hold several)."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.cascade)
    role = Varchar(length=20)


class ApiToken(Table):
    """A bearer token for /api/v1; only its SHA-256 is stored."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.cascade)
    label = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
