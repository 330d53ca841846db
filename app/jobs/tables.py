from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app.tenancy.tables import Tenant


class JobRecord(Table, tablename="job_record"):
    """A job as the portal knows it, written when it is enqueued: the truth about it, whatever Redis
    forgets. ``job_id`` is what callers follow; ``queue_id`` is arq's id of the current attempt (a
    retry gets a new one, because arq keeps a dead attempt's id taken for a while).

    ``heartbeat_at`` moves every few seconds while a worker runs the job, so a job whose worker
    died is seen at once and run again (``app.jobs.recover``).
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    job_id = Varchar(length=120, unique=True)
    queue_id = Varchar(length=130)
    kind = Varchar(length=20)
    args = JSON(default=[])
    status = Varchar(length=12, default="queued", index=True)
    attempts = Integer(default=0)
    error = Varchar(length=300, default="")
    enqueued_at = Timestamptz()
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
