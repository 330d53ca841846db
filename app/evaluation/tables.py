"""The annual evaluation (工作效能考评, SPEC §9): cycles, their subjects, ratings and results."""

from decimal import Decimal

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, Numeric, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.tenancy.tables import Tenant


class Cycle(Table, tablename="evaluation_cycle"):
    """One county's review of one year, with its weights and where it stands."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    year = Integer()
    weights = JSONB()  # {"leadership": 70, "peer": 10, "self": 10, "grassroots": 10}
    trim = Boolean(default=True)
    step = Varchar(length=20)
    locked = Boolean(default=False)
    # How subjects still missing a component are scored when the cycle is finalised ("" or "reweight").
    finalise_policy = Varchar(length=20, default="")
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    computed_at = Timestamptz(null=True, default=None)


class Subject(Table, tablename="evaluation_subject"):
    id: Serial
    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    cycle = ForeignKey(Cycle, index=True, on_delete=OnDelete.restrict)
    person = ForeignKey(User, on_delete=OnDelete.restrict)


class RatingLink(Table, tablename="evaluation_link"):
    """A single-use, expiring link for a grassroots rater without an account (基层测评)."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    cycle = ForeignKey(Cycle, index=True, on_delete=OnDelete.restrict)
    label = Varchar(length=60)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Rating(Table, tablename="evaluation_rating"):
    """One rater's score of one subject in one component; rating again replaces it (audited).

    ``rater_key`` names the rater: ``user:<id>``, ``link:<id>`` or ``paper:<label>`` (a rating
    collected on paper and entered by an admin).
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    cycle = ForeignKey(Cycle, index=True, on_delete=OnDelete.restrict)
    subject = ForeignKey(Subject, index=True, on_delete=OnDelete.restrict)
    component = Varchar(length=20)
    rater_key = Varchar(length=80)
    rater = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    rater_label = Varchar(length=60, default="")
    score = Numeric(digits=(5, 2))
    dimensions = JSONB(null=True, default=None)
    entered_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz()


class Result(Table, tablename="evaluation_result"):
    """A subject's computed result; replaced as a whole by each computation."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    cycle = ForeignKey(Cycle, index=True, on_delete=OnDelete.restrict)
    subject = ForeignKey(Subject, index=True, on_delete=OnDelete.restrict)
    status = Varchar(length=20)
    score = Numeric(digits=(5, 2), null=True, default=None)
    grade = Varchar(length=30, default="")
    components = JSONB()
    missing = JSONB()
    raters = JSONB()
    needs_rectification = Boolean(default=False)
    # 第七条: working days away for sickness, personal leave or study (a day by its share of office time).
    absent_working_days = Numeric(digits=(6, 2), default=Decimal(0))
    computed_at = Timestamptz()


class Rectification(Table, tablename="evaluation_rectification"):
    """第六条: a subject below 70 is given a rectification item, which the admin tracks to its end."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    cycle = ForeignKey(Cycle, index=True, on_delete=OnDelete.restrict)
    subject = ForeignKey(Subject, index=True, on_delete=OnDelete.restrict)
    opened_at = Timestamptz()
    note = Text(default="")
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
