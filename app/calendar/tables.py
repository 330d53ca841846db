from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class CalendarDay(Table):
    """A county's decision about one day (SPEC §7), on top of the statutory calendar."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    day = Date(index=True)
    workday = Boolean()
    note = Varchar(length=100, default="")
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz()


class GlobalCalendarDay(Table):
    """The superadmin's decision about one day for every county, e.g. next year's schedule."""

    id: Serial

    day = Date(unique=True, index=True)
    workday = Boolean()
    note = Varchar(length=100, default="")
    updated_by_label = Varchar(length=100, default="")
    updated_at = Timestamptz()


class CalendarYear(Table):
    """An admin marked the county's schedule of this year as entered: its days are no longer guesses."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    year = Integer()
    entered_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    entered_at = Timestamptz()


class GlobalCalendarYear(Table):
    """The superadmin marked this year's schedule as entered for every county."""

    id: Serial

    year = Integer(unique=True)
    entered_by_label = Varchar(length=100, default="")
    entered_at = Timestamptz()
