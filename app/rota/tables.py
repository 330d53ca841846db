from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class Line(Table):
    """A business line (业务岗位): a kind of work with its own cases and statutory time limit."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    code = Varchar(length=40)
    name = Varchar(length=60)
    working_days = Integer()
    # 人户分离: a household registered elsewhere gets a longer limit on some lines (城市低保 15).
    separated_working_days = Integer(null=True, default=None)
    position = Integer(default=0)
    # The line's pipeline (SPEC §6): a household survey and a public posting before approval.
    needs_survey = Boolean(default=True)
    needs_posting = Boolean(default=True)
    # Checklist for the one-time notice of missing materials, one item per line of text.
    materials = Text(default="")
    active = Boolean(default=True)


class Qualification(Table):
    """A person is familiar with a line's business (同岗替代 第一条) and may back it up."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    line = ForeignKey(Line, index=True, on_delete=OnDelete.restrict)


class Assignment(Table, tablename="line_assignment"):
    """Who holds A and B on a line from ``valid_from`` until ``valid_to`` (open: current).

    Rows are never changed except to close them: the table is the assignment history.
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    line = ForeignKey(Line, index=True, on_delete=OnDelete.restrict)
    a = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    b = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    valid_from = Timestamptz()
    valid_to = Timestamptz(null=True, default=None)
    changed_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    changed_by_label = Varchar(length=100)
    approved_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    reason = Varchar(length=300, default="")
