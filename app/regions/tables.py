from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class Region(Table):
    """A city (市) whose civil-affairs bureau oversees its counties."""

    id: Serial

    slug = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=100)
    created_at = Timestamptz()


class RegionCounty(Table):
    """A county of a region; a county belongs to at most one region."""

    id: Serial

    region = ForeignKey(Region, index=True, on_delete=OnDelete.restrict)
    tenant = ForeignKey(Tenant, unique=True, index=True, on_delete=OnDelete.restrict)


class Inspector(Table):
    """督查: a user of no county who reads the aggregate figures of one region's counties."""

    id: Serial

    region = ForeignKey(Region, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, unique=True, index=True, on_delete=OnDelete.restrict)


class InspectorToken(Table):
    """An API token of an inspector (only its SHA-256 is stored), for the region's API only."""

    id: Serial

    region = ForeignKey(Region, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    label = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
