from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.rota.tables import Line
from app.tenancy.tables import Tenant


class Absence(Table):
    """An absence notice (离岗告示): who is away, why, until when, and who approved it."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    person = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=20)
    reason = Varchar(length=300)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    contact = Varchar(length=60, default="")
    # The door notice shows the contact only when the person chose so; otherwise the office's phone.
    show_contact = Boolean(default=False)
    handover = Text(default="")
    category = Varchar(length=10)
    status = Varchar(length=12, index=True)
    approver_role = Varchar(length=20, default="")
    decided_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Varchar(length=300, default="")
    returned_at = Timestamptz(null=True, default=None)
    # 补录: recorded afterwards by an admin; counts for attendance, triggers no substitution.
    recorded_afterwards = Boolean(default=False)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


# What ``rules.Notice.of`` reads of a notice: select these to know its state and time away.
NOTICE_COLUMNS = (Absence.status, Absence.starts_at, Absence.ends_at, Absence.returned_at, Absence.recorded_afterwards)


class Substitution(Table):
    """Who acted on a line while its A holder was on leave (第四条): opened and closed by the job."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    absence = ForeignKey(Absence, index=True, on_delete=OnDelete.restrict)
    line = ForeignKey(Line, index=True, on_delete=OnDelete.restrict)
    substitute = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    status = Varchar(length=12)  # covered, escalated, uncovered
    started_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class EscalationPick(Table):
    """The qualified person a section head or leader chose for a line whose A and B are both away."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    line = ForeignKey(Line, index=True, on_delete=OnDelete.restrict)
    acting = ForeignKey(User, on_delete=OnDelete.restrict)
    chosen_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    chosen_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
