from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class Notification(Table):
    """One message in one person's in-app inbox.

    ``dedupe_key`` is unique per county: a job that runs twice, or on two workers at once,
    cannot tell the same thing twice.
    """

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=40)
    message = Varchar(length=300)
    link = Varchar(length=200, default="")
    case_id = Integer(null=True, default=None)
    dedupe_key = Varchar(length=200)
    created_at = Timestamptz(index=True)
    read_at = Timestamptz(null=True, default=None)
