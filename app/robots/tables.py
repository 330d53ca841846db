from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.tenancy.tables import Tenant


class Robot(Table):
    """A county's group robot (WeCom or DingTalk) and the events it receives.

    The webhook address carries the robot's key or access token, so it is sealed at rest like the
    DingTalk signing secret (``app.secrets``); ``address`` is the host alone, for pages and checks.
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    platform = Varchar(length=10)
    name = Varchar(length=60)
    url = Text()  # sealed
    address = Varchar(length=200)
    secret = Text(default="")  # sealed; DingTalk signing, optional
    keyword = Varchar(length=40, default="")
    events = Varchar(length=200, default="")  # comma-separated ``rules.Event`` values
    active = Boolean(default=True)
    created_at = Timestamptz()


class RobotDelivery(Table, tablename="robot_delivery"):
    """The robot ledger: one message to one robot, unique per (robot, message key).

    Written in the transaction that tells the inbox, so a message reaches a robot exactly when it
    is new; sent by the worker, which claims a row by a conditional UPDATE with a lease (two
    workers never post the same row; a dead worker's row is due again after the lease).
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    robot = ForeignKey(Robot, index=True, on_delete=OnDelete.cascade)
    message_key = Varchar(length=200)
    event = Varchar(length=20)
    title = Varchar(length=60)
    text = Text()
    recipients = Varchar(length=300, default="")  # the names of the people the inbox told
    link = Varchar(length=200, default="")  # the page, relative: made absolute when sent
    status = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    last_error = Varchar(length=300, default="")
    next_attempt_at = Timestamptz(index=True)
    last_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)
