from piccolo.columns import JSONB, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from app.tenancy.tables import Tenant


class AuditRecord(Table):
    """One change: who, when, what (before/after), from where. Append-only."""

    id: Serial

    tenant = ForeignKey(Tenant, null=True, index=True, on_delete=OnDelete.restrict)
    at = Timestamptz(index=True)
    # Named, not imported: accounts record their changes here, so the audit sits below them.
    actor: ForeignKey[Table] = ForeignKey(
        LazyTableReference("User", module_path="app.accounts.tables"), null=True, on_delete=OnDelete.restrict
    )
    actor_label = Varchar(length=100)
    action = Varchar(length=60, index=True)
    entity = Varchar(length=40, index=True)
    entity_id = Varchar(length=40, default="")
    summary = Varchar(length=300, default="")
    # The summary as a message (app.i18n.messages): shown in the reader's language; "" on older rows.
    summary_key = Varchar(length=300, default="")
    summary_params = JSONB(null=True, default=None)
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    address = Varchar(length=64, default="")
