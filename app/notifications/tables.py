from piccolo.columns import JSONB, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class Notification(Table):
    """One message in one person's in-app inbox.

    ``dedupe_key`` is unique per county: a job that runs twice, or on two workers at once,
    cannot tell the same thing twice.
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=40)
    message = Varchar(length=300)
    # The message as a key (app.i18n.messages): shown in the reader's language; "" on older rows.
    message_key = Varchar(length=300, default="")
    message_params = JSONB(null=True, default=None)
    link = Varchar(length=200, default="")
    case_id = Integer(null=True, default=None)
    dedupe_key = Varchar(length=200)
    created_at = Timestamptz(index=True)
    read_at = Timestamptz(null=True, default=None)


class EmailOutbox(Table, tablename="email_outbox"):
    """One e-mail to send: written in the transaction that tells the inbox, sent later by the worker.

    ``status`` is pending until sent, or failed after the last attempt. A worker claims a row by a
    conditional UPDATE that moves ``next_attempt_at`` past its lease, so two workers never send
    the same row and a worker that dies mid-send leaves it to be retried once the lease is over.
    A test message (the settings page) has no notification.
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    notification = ForeignKey(Notification, null=True, default=None, on_delete=OnDelete.cascade)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    to_address = Varchar(length=120)
    subject = Varchar(length=200)
    body = Text()
    status = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    last_error = Varchar(length=500, default="")
    next_attempt_at = Timestamptz()
    last_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)
