"""Table models, declared once. Alembic migrations in `storage/migrations` own the schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, TextClause, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# Monthly income bands (rupiah, lower bound inclusive) kept in clear for reports, while the
# income itself is encrypted.
INCOME_BANDS = (
    (0, "<1jt"),
    (1_000_000, "1-2jt"),
    (2_000_000, "2-3jt"),
    (3_000_000, "3-5jt"),
    (5_000_000, "5-10jt"),
    (10_000_000, ">=10jt"),
)


def income_band(income: int) -> str:
    return next(label for floor, label in reversed(INCOME_BANDS) if income >= floor)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Contact(SQLModel, table=True):
    """A person on one channel. The chat id is the platform's address for them."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_contact_channel_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    phone_enc: str | None = Field(default=None)
    """A phone number the person shared (Telegram's contact button, or typed in the form), encrypted."""
    announcements: bool = Field(default=False)
    announcements_changed_at: datetime | None = _ts()
    last_inbound_at: datetime | None = _ts()
    unreachable_at: datetime | None = _ts()
    reply_keyboard_at: datetime | None = _ts()
    """When Telegram's phone keyboard went up, until a message takes it down."""
    attribution_code: str | None = Field(default=None, max_length=40)
    regency_code: str | None = Field(default=None, max_length=8)
    """Where the person lives or works, when they said so outside the form (session listings)."""
    language: str = Field(default="id", max_length=16, sa_column_kwargs={"server_default": "id"})
    """The language the bot answers in: a code of messages/languages.toml ("id", Indonesian,
    messages.data.DEFAULT_LANGUAGE, for everyone until a person chooses another)."""
    erased_at: datetime | None = _ts()
    """When the person asked for "hapus data"; a day later the chat id becomes a tombstone
    (storage.erasure.tombstone_erased) unless they have written again since."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Conversation(SQLModel, table=True):
    """Where a contact is in the conversation, and the answers gathered so far."""

    __tablename__ = "conversation"

    contact_id: int = Field(primary_key=True, foreign_key="contact.id", ondelete="CASCADE")
    flow: str | None = Field(default=None, max_length=40)
    step: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ProcessedInbound(SQLModel, table=True):
    """Platform message ids already handled: a redelivered update changes nothing."""

    __tablename__ = "processed_inbound"
    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_processed_inbound"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    message_id: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


_PENDING = text("status = 'pending'")
_OPEN_OUTBOX = text("status IN ('sending', 'held', 'waiting')")


class OutboxMessage(SQLModel, table=True):
    """A rendered reply waiting for, or done with, delivery by the sender."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Rows in flight or held back (recovery after a crash, quiet hours, the 24-hour window).
        # Partial, and never on "pending": with statistics gone stale (100,000 rows of a
        # broadcast just queued) PostgreSQL took the old (status, channel, ...) index for the
        # claim's per-chat probe and read every pending row for each candidate.
        Index(
            "ix_outbox_open",
            "channel",
            "status",
            "next_attempt_at",
            postgresql_where=_OPEN_OUTBOX,
            sqlite_where=_OPEN_OUTBOX,
        ),
        Index("ix_outbox_chat", "channel", "chat_id", "status"),
        # The sender's claim (storage.outbox.claim_due): pending rows in the order they go
        # out, and each chat's head. Partial, so sent rows (nearly all of the table) cost nothing.
        Index(
            "ix_outbox_claim",
            "channel",
            "priority",
            "id",
            "next_attempt_at",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        Index(
            "ix_outbox_chat_head",
            "channel",
            "chat_id",
            "priority",
            "id",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    priority: int = Field(default=0)
    status: str = Field(default="pending", max_length=16)
    """pending (to send), sending (an attempt under way), sent, waiting, failed, erased."""
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    attempt_log: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    platform_message_id: str | None = Field(default=None, max_length=128, index=True)
    delivery_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = _ts()


# Statuses in which a person's sign-up still stands: a second one for the same NIK is refused,
# by the database itself (a partial unique index), whatever two workers do at the same moment.
OPEN_STATUSES = ("baru", "diproses", "dihubungi", "terdaftar")
_OPEN = text("status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")")

# The flags staff filter the queue by. Each has a partial index of the branch's queue order, so a
# rare flag does not scan a whole branch: the query must use `flagged(flag)`, the very predicate
# of the index (both databases use a partial index only for a textually matching condition).
QUEUE_FLAGS = ("age_over_limit", "income_below_floor")


def flagged(flag: str) -> TextClause:
    """`flags` (a JSON list) holds `flag`; a literal, never a bound parameter (see above)."""
    if flag not in QUEUE_FLAGS:
        raise ValueError(f"not a queue flag: {flag}")
    return text(f"CAST(flags AS VARCHAR) LIKE '%\"{flag}\"%'")


class Submission(SQLModel, table=True):
    """An enrolment handed to a branch. Personal fields are encrypted (`*_enc`).

    The contribution amounts stay in clear: the branch registers and bills them, and reports
    sum them. They follow from the reported income (1% + Rp6.800, or 3% + Rp6.800).
    """

    __tablename__ = "submission"
    __table_args__ = (
        Index("uq_submission_open_nik", "nik_hash", unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN),
        # The staff queue: a branch's submissions (of a status), oldest first, by keyset.
        Index("ix_submission_queue", "branch_code", "created_at", "id"),
        Index("ix_submission_queue_status", "branch_code", "status", "created_at", "id"),
        *(
            Index(
                f"ix_submission_queue_{flag}",
                "branch_code",
                "created_at",
                "id",
                postgresql_where=flagged(flag),
                sqlite_where=flagged(flag),
            )
            for flag in QUEUE_FLAGS
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    status: str = Field(default="baru", max_length=16, index=True)
    branch_code: str = Field(max_length=32)
    """Looked up by the queue's indexes, which start with it (no index of its own)."""
    channel: str = Field(max_length=16)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL", index=True)
    attribution_code: str | None = Field(default=None, max_length=40, index=True)
    consent_version: str = Field(max_length=64)
    consent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    nik_enc: str | None = Field(default=None)
    nik_hash: str | None = Field(default=None, max_length=64, index=True)
    full_name_enc: str | None = Field(default=None)
    birth_date: date | None = Field(default=None)
    sex: str | None = Field(default=None, max_length=1)
    phone_enc: str | None = Field(default=None)
    email_enc: str | None = Field(default=None)
    address_enc: str | None = Field(default=None)
    regency_code: str | None = Field(default=None, max_length=8)
    regency_name: str | None = Field(default=None, max_length=100)
    district_code: str | None = Field(default=None, max_length=12)
    district_name: str | None = Field(default=None, max_length=100)
    occupation: str = Field(max_length=20)
    occupation_other: str | None = Field(default=None, max_length=100)
    income_enc: str | None = Field(default=None)
    """The declared monthly income, encrypted (financial data is specific personal data)."""
    income_band: str = Field(max_length=16)
    """The income's band (see INCOME_BANDS): what reports need, in clear."""
    reported_income_enc: str | None = Field(default=None)
    """The income the contribution is computed on, encrypted."""
    programs: str = Field(max_length=16)
    monthly_contribution: int
    payment_months: int
    period_total: int
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    """Form answers without a column of their own (personal ones encrypted), by field name, and
    "price": what the person was shown it costs (`handlers.price.Price.record`)."""
    kpj_number: str | None = Field(default=None, max_length=32)
    rejection_reason: str | None = Field(default=None, max_length=500)
    subsidy_candidate: bool = Field(default=False)
    sponsor: str | None = Field(default=None, max_length=200)
    """Who pays JKK + JKM (a regency at a sponsored session), and for how many months."""
    sponsor_months: int | None = Field(default=None)
    anonymised_at: datetime | None = _ts()
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The staff side: search by phone, who handles it, what was promised, and a version that
    # makes a second officer's stale change fail instead of overwriting the first one's.
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    assigned_to_id: int | None = Field(
        default=None, foreign_key="staff_account.id", ondelete="SET NULL", index=True
    )
    assigned_at: datetime | None = _ts()
    call_by: date | None = Field(default=None)
    """The last working day by which the worker was promised a call."""
    callback_at: datetime | None = _ts()
    """When the worker asked to be called again (from the latest call attempt)."""
    first_contact_at: datetime | None = _ts()
    registered_at: datetime | None = _ts()
    version: int = Field(default=0)
    enrol_path: str | None = Field(default=None, max_length=40)
    """How the form was filled: "chat", a native form ("whatsapp_flow", "telegram_webapp"), or
    both joined by "+" (a draft begun in one and finished in the other)."""
    messages_to_enrol: int | None = Field(default=None)
    """The messages the person sent from the start of the draft to the submission."""


class SubmissionEvent(SQLModel, table=True):
    """The history of a submission: every status change, with who, when and a note."""

    __tablename__ = "submission_event"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=1000)


class FormStepEvent(SQLModel, table=True):
    """One person (one draft) reaching, completing or abandoning a form step: drop-off counts."""

    __tablename__ = "form_step_event"
    __table_args__ = (UniqueConstraint("draft_id", "step", "event", name="uq_form_step_event"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: str = Field(max_length=32)
    """Looked up by `uq_form_step_event`, which starts with it (no index of its own)."""
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL", index=True)
    step: str = Field(max_length=32)
    event: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    path: str = Field(default="chat", max_length=24, sa_column_kwargs={"server_default": "chat"})
    """Which way the form was being filled: "chat", or a native form (its screens are the steps)."""
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    regency_code: str | None = Field(default=None, max_length=8)
    """Where the person lives, once the draft knows it: the drop-off report follows the viewer's scope."""


class AuditLog(SQLModel, table=True):
    """Who did what with personal data. Never holds personal data itself."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    branch_code: str | None = Field(default=None, max_length=32, index=True)
    """The branch the action concerns, so a supervisor sees the audit of their branch."""


class StaffAccount(SQLModel, table=True):
    """A person of a branch (staff, supervisor), the operator (admin) or a partner (mitra)."""

    __tablename__ = "staff_account"
    __table_args__ = (Index("ix_staff_account_link_code_hash", "link_code_hash", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    branch_code: str | None = Field(default=None, max_length=32)
    regencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Regency codes a mitra account sees aggregated figures for."""
    disabled_at: datetime | None = _ts()
    password_changed_at: datetime | None = _ts()
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    test_channel: str | None = Field(default=None, max_length=16)
    """The officer's own chat for "kirim uji": its channel and chat id, linked by a one-time code."""
    test_chat_id: str | None = Field(default=None, max_length=64)
    test_linked_at: datetime | None = _ts()
    link_code_hash: str | None = Field(default=None, max_length=64)
    """SHA-256 of the one-time code the officer sends to the bot ("UJI <code>"); cleared once used."""
    link_code_expires_at: datetime | None = _ts()


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="staff_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts()
    expires_at: datetime | None = _ts()
    """After this the token no longer works (API_TOKEN_DAYS after issue; None: issued before expiry)."""


class CallAttempt(SQLModel, table=True):
    """An officer's call to the worker and how it went."""

    __tablename__ = "call_attempt"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    account_id: int | None = Field(default=None, foreign_key="staff_account.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    outcome: str = Field(max_length=24)
    callback_at: datetime | None = _ts()
    note: str | None = Field(default=None, max_length=1000)


class LoginThrottle(SQLModel, table=True):
    """Wrong passwords per account ("user:<name>") and per address ("addr:<ip>")."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=120)
    failures: int = Field(default=0)
    first_failure_at: datetime | None = _ts()
    locked_until: datetime | None = _ts()


class QueueCount(SQLModel, table=True):
    """Submissions per branch and status, kept by database triggers on `submission`.

    The queue's tabs read it instead of counting a large branch's rows on every page. A later
    migration that re-creates `submission` on SQLite (batch_alter_table) must re-create the triggers.
    """

    __tablename__ = "queue_count"

    branch_code: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)
    n: int = Field(default=0)


class CallbackRequest(SQLModel, table=True):
    """A person asked to talk to an officer ("minta ditelepon"): the branch's queue calls back.

    The question and the number are personal data, encrypted like a submission's fields.
    """

    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_queue", "branch_code", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL", index=True)
    channel: str = Field(max_length=16)
    branch_code: str = Field(max_length=32)
    phone_enc: str | None = Field(default=None)
    question_enc: str | None = Field(default=None)
    status: str = Field(default="baru", max_length=16)
    """baru → ditangani (an officer took it) → selesai (talked) or tidak_terhubung (not reached)."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    handled_at: datetime | None = _ts()
    handled_by: str | None = Field(default=None, max_length=64)
    regency_code: str | None = Field(default=None, max_length=8)
    """Where the person lives (or the session's regency for a follow-up), for the officer."""
    session_id: int | None = Field(
        default=None, foreign_key="social_session.id", ondelete="SET NULL", index=True
    )
    """The socialization session whose follow-up asked for help; None for "minta ditelepon"."""
    assigned_to_id: int | None = Field(default=None, foreign_key="staff_account.id", ondelete="SET NULL")
    assigned_at: datetime | None = _ts()
    note: str | None = Field(default=None, max_length=1000)
    """The officer's note on the call that closed it."""
    version: int = Field(default=1)


import storage.chat_models  # noqa: E402  (the agent inbox)
import storage.coverage_models  # noqa: E402  (and the coverage after registration)
import storage.dues_models  # noqa: E402  (and the payment reminders)
import storage.form_models  # noqa: E402  (and the native forms' tokens)
import storage.ops_models  # noqa: E402  (registers the operator's tables too)
import storage.outreach_models  # noqa: E402  (and the organisers')
import storage.security_models  # noqa: E402, F401  (and the staff sessions')
