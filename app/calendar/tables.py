from piccolo.columns import Boolean, Date, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class CalendarDay(Table):
    """A county's decision about one day (SPEC §7), on top of the statutory calendar."""

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    day = Date(index=True)
    workday = Boolean()
    note = Varchar(length=100, default="")
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz()


class GlobalCalendarDay(Table):
    """The superadmin's decision about one day for every county, e.g. next year's schedule."""

    day = Date(unique=True, index=True)
    workday = Boolean()
    note = Varchar(length=100, default="")
    updated_by_label = Varchar(length=100, default="")
    updated_at = Timestamptz()
