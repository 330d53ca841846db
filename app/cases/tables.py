"""Cases (applications) and everything that happens to them (SPEC §6)."""

from piccolo.columns import (
    JSONB,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.accounts.tables import User
from app.rota.tables import Line
from app.tenancy.tables import Tenant


class Case(Table, tablename="assistance_case"):
    """An application for assistance, from receipt to filing."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    line = ForeignKey(Line, index=True, on_delete=OnDelete.restrict)
    applicant_name = Varchar(length=60)
    applicant_id_number = Varchar(length=18)
    household_size = Integer()
    address = Varchar(length=200, default="")
    phone = Varchar(length=30, default="")
    # Declared monthly income per head, in yuan (for the 低保 eligibility hint only).
    monthly_income = Numeric(digits=(12, 2), null=True, default=None)
    separated_household = Boolean(default=False)
    received_on = Date()
    # The line's limit at intake; extensions add to it, so due_on is always recomputable.
    working_days = Integer()
    extension_days = Integer(default=0)
    original_due_on = Date()
    due_on = Date()
    due_provisional = Boolean(default=False)
    notice_due_on = Date()
    first_receiver = ForeignKey(User, on_delete=OnDelete.restrict)
    handler = ForeignKey(User, on_delete=OnDelete.restrict)
    # Who answers for the case right now: the handler, or their substitute while they are on leave.
    acting_handler = ForeignKey(User, on_delete=OnDelete.restrict)
    status = Varchar(length=20)
    status_changed_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class CaseEvent(Table):
    """One entry of a case's timeline: a step, a document, a change of handler. Never changed."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    at = Timestamptz()
    actor = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    actor_label = Varchar(length=100)
    kind = Varchar(length=30)
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    note = Text(default="")
    # The note as a message (app.i18n.messages): shown in the reader's language; "" on older rows.
    note_key = Varchar(length=300, default="")
    note_params = JSONB(null=True, default=None)


class MaterialNotice(Table):
    """一次性告知: every missing material, listed at once; a second list needs a reason."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    items = JSONB()
    reason = Varchar(length=300, default="")
    issued_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    issued_at = Timestamptz()
    # Issued after the third working day from receipt: shown, and kept for inspections.
    late = Boolean(default=False)


class Receipt(Table):
    """A written receipt (书面凭证) of acceptance or refusal, numbered per county."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    number = Integer()
    kind = Varchar(length=20)  # accepted, not_accepted
    reason = Varchar(length=300, default="")
    issued_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    issued_at = Timestamptz()


class Survey(Table):
    """入户调查: when, what was found, the internal conclusion (never shown to the applicant)."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    visited_on = Date()
    findings = Text()
    conclusion = Text(default="")
    recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    recorded_at = Timestamptz()


class Investigator(Table):
    """One of the (at least two) investigators of a survey; signs with their own account."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    survey = ForeignKey(Survey, index=True, on_delete=OnDelete.restrict)
    person = ForeignKey(User, on_delete=OnDelete.restrict)
    signed_at = Timestamptz(null=True, default=None)


class Posting(Table):
    """公示: seven days where the public can object."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    starts_on = Date()
    ends_on = Date()
    place = Varchar(length=200)
    posted_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    posted_at = Timestamptz()


class Objection(Table):
    """An objection raised during a posting; the case cannot be approved while one is open."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    posting = ForeignKey(Posting, index=True, on_delete=OnDelete.restrict)
    raised_on = Date()
    raised_by = Varchar(length=60, default="")
    content = Text()
    recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    resolution = Text(default="")
    resolved_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    resolved_at = Timestamptz(null=True, default=None)


class Extension(Table):
    """A leader's extension of the time limit (第十一条), with the due dates before and after."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    working_days = Integer()
    reason = Varchar(length=300)
    due_before = Date()
    due_after = Date()
    approved_by = ForeignKey(User, on_delete=OnDelete.restrict)
    approved_at = Timestamptz()


class AccountabilityRecord(Table):
    """第十三条: one occasion, i.e. the offences of one person falling due on one day, at its level.

    A warning orders a remedy (text, due date, done date); a sanction links the section head's own
    record (level ``head``) through ``head_record``.
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    person = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    occasion_on = Date()
    year = Integer()
    level = Varchar(length=20)
    recorded_on = Date()
    remedy = Text(default="")
    remedy_due_on = Date(null=True, default=None)
    remedy_done_on = Date(null=True, default=None)
    head_record: ForeignKey["AccountabilityRecord"] = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class Offence(Table, tablename="accountability_offence"):
    """One offence: a case that passed its due date unfinished, on its occasion's record."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    record = ForeignKey(AccountabilityRecord, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    due_on = Date()


class GrassrootsReview(Table):
    """城乡医疗救助: the village's or the town's review and posting, as recorded at intake."""

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    case = ForeignKey(Case, index=True, on_delete=OnDelete.restrict)
    level = Varchar(length=10)
    reviewed_on = Date(null=True, default=None)
    posted_from = Date(null=True, default=None)
    posted_to = Date(null=True, default=None)
    outcome = Varchar(length=200, default="")
    document = Varchar(length=200, default="")


class Enquiry(Table):
    """首问负责: an enquiry as its first receiver logged it, whether or not it became a case.

    A referral stays the first receiver's until the other office confirms it (首问负责制 第三条).
    """

    id: Serial

    tenant = ForeignKey(Tenant, index=True, on_delete=OnDelete.restrict)
    first_receiver = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    visitor = Varchar(length=60)
    contact = Varchar(length=60, default="")
    channel = Varchar(length=10)
    question = Text()
    answer = Text(default="")
    referred_to = Varchar(length=100, default="")
    referred_on = Date(null=True, default=None)
    referral_confirmed_on = Date(null=True, default=None)
    referral_note = Varchar(length=200, default="")
    case = ForeignKey(Case, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
