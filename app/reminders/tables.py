from piccolo.columns import Date, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app.cases.tables import Case
from app.tenancy.tables import Tenant


class Reminder(Table):
    """The reminder ledger: one row per (case, stage, deadline) told, unique by ``key`` per county.

    The unique key, not the job queue, is what makes a reminder go out exactly once: a scan that
    runs twice, on two workers at once, or again after a crash, finds the row already there.
    """

    id: Serial

    # Indexed by the unique (tenant, key) and by ("case", stage, due_on) (migrations): the scan
    # probes the ledger for each overdue case by the latter alone. With an index of (tenant) and
    # one of (case), PostgreSQL ANDed the two whenever its statistics lagged behind a catch-up: a
    # walk of the county's whole ledger for each case.
    tenant = ForeignKey(Tenant, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, on_delete=OnDelete.restrict)
    stage = Varchar(length=20)
    # The deadline the stage was about: an extension or a recomputed date is told afresh.
    due_on = Date(null=True, default=None)
    key = Varchar(length=120)
    created_at = Timestamptz()
