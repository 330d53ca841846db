from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.tenancy.tables import Tenant


class DeadlineTally(Table):
    """The deadline figures of a county's cases, counted ahead by the worker (``app.stats.tally``):
    one row per month of receipt, line, handler and working days taken to close (``NULL`` for the
    cases still open). Derived data: a county's rows are replaced whole by each rebuild."""

    id: Serial

    tenant = ForeignKey(Tenant, on_delete=OnDelete.cascade)
    month = Varchar(length=7)  # YYYY-MM of received_on
    line = Integer()
    handler = Integer()
    close_days = Integer(null=True, default=None)
    received = Integer()
    closed = Integer()
    closed_on_time = Integer()
    open_overdue = Integer()  # as of built_on of the county's TallyState
    extensions = Integer()


class TallyState(Table):
    """When a county's tally was last rebuilt: the pages say "as of" it; a county without a row is
    counted live from its cases."""

    id: Serial

    tenant = ForeignKey(Tenant, unique=True, on_delete=OnDelete.cascade)
    built_at = Timestamptz()
    built_on = Date()  # the county's today at the rebuild: its open cases' overdue day


class MonthTally(Table, tablename="deadline_tally_month"):
    """A county's month of ``DeadlineTally`` in one row, what a region's pages by county and by month
    read: the counts, and the closed cases by working days taken as text ``days:cases,…``."""

    id: Serial

    tenant = ForeignKey(Tenant, on_delete=OnDelete.cascade)
    month = Varchar(length=7)
    received = Integer()
    closed = Integer()
    closed_on_time = Integer()
    open_overdue = Integer()
    extensions = Integer()
    closing_days = Text(default="")
