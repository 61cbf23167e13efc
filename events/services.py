"""Registration writes: register, cancel, restore, reminders.

Capacity is enforced write-first (docs: engineering.md section 4): a seat is taken by the
conditional UPDATE `seats_taken = seats_taken + 1 WHERE seats_taken < capacity`, which is correct
on PostgreSQL (row lock, re-checked after a wait) and on SQLite (one writer at a time), and the
database's CheckConstraint refuses anything above capacity whatever the code does. Every status
change of a registration locks its event row first, in the same order everywhere, so cancellations
and promotions are serialised per event and cannot deadlock with each other; a self-registration
on PostgreSQL holds the row only for its one statement (_register_in_one_statement).

SMS go through the outbox (trainees.services.messaging.queue_sms) inside the same transaction as
the change they announce: a rolled-back registration never sends a message.
"""

import base64
import contextlib
import datetime
import enum
import hashlib
import re
import secrets
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events import selectors, tickets
from events.models import (
    CheckIn,
    Direction,
    Event,
    EventKind,
    EventStatus,
    Excusal,
    Registration,
    RegistrationChannel,
    RegistrationStatus,
    ScanLog,
    ScannerDevice,
    ScanResult,
    Session,
)
from events.reports.services import refresh_summary_on_commit
from events.selectors import waitlist_position
from trainees import id_numbers
from trainees.models import (
    ConsentMethod,
    OutboundMessage,
    Provenance,
    Region,
    SpecialGroup,
    Worker,
    WorkerSpecialGroup,
    code_covers,
)
from trainees.phones import normalise_mobile
from trainees.services.identity import DuplicateWorker, WorkerDetails, create_worker, find_worker
from trainees.services.messaging import deliver_on_commit, queue_sms

REMINDER_WINDOW = (datetime.timedelta(hours=24), datetime.timedelta(hours=48))
# The messages that tell a worker their place; _PLACE_REGISTRATION writes them too.
CONFIRM_SMS_KIND = "reg-confirm"
WAITLIST_SMS_KIND = "reg-waitlist"


class RegistrationOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY_REGISTERED = "already_registered"


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    outcome: RegistrationOutcome
    waitlist_position: int | None = None


class RegistrationRefused(Exception):
    """The rules do not allow this registration. `reason` is translated, for the worker to read;
    `code` is stable, for code and tests."""

    def __init__(self, reason: str, *, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class _NothingToDo(Exception):
    """Raised inside a transaction to roll it back when another request got there first."""


# Checks ------------------------------------------------------------------------------------------


def check_window(*, event: Event | None, now: datetime.datetime) -> None:
    """Refuse unless the event is published, scheduled, not over and its registration window open."""
    if event is None or not event.live:
        raise RegistrationRefused(
            _("This event is not open for registration."), code="not_published"
        )
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused(_("This event has been cancelled."), code="cancelled")
    if event.status == EventStatus.POSTPONED:
        raise RegistrationRefused(
            _("This event has been postponed. Registration opens again with the new dates."),
            code="postponed",
        )
    if event.ends_at < now:
        raise RegistrationRefused(_("This event is over."), code="ended")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationRefused(
            _("Registration opens on %(when)s.") % {"when": _local(event.registration_opens_at)},
            code="not_open_yet",
        )
    if event.registration_closes_at and now > event.registration_closes_at:
        raise RegistrationRefused(
            _("Registration closed on %(when)s.") % {"when": _local(event.registration_closes_at)},
            code="closed",
        )


def check_eligibility(*, event: Event, worker: Worker) -> None:
    """The training programme's rules on age, household registration and special group."""
    if event.min_age is not None or event.max_age is not None:
        if worker.birth_date is None:
            raise RegistrationRefused(
                _(
                    "This class has an age limit. Add your ID number to your profile so that "
                    "your age can be checked, then register again."
                ),
                code="age_unknown",
            )
        age = id_numbers.age_on(worker.birth_date, timezone.localdate(event.starts_at))
        too_young = event.min_age is not None and age < event.min_age
        too_old = event.max_age is not None and age > event.max_age
        if too_young or too_old:
            if event.min_age is not None and event.max_age is not None:
                rule = _("people aged %(min)s to %(max)s") % {
                    "min": event.min_age,
                    "max": event.max_age,
                }
            elif event.min_age is not None:
                rule = _("people aged %(min)s or over") % {"min": event.min_age}
            else:
                rule = _("people aged %(max)s or under") % {"max": event.max_age}
            raise RegistrationRefused(
                _("This class is for %(rule)s; you will be %(age)s when it starts.")
                % {"rule": rule, "age": age},
                code="too_young" if too_young else "too_old",
            )
    if event.eligible_region_id:
        region = event.eligible_region
        if worker.hukou_region is None:
            raise RegistrationRefused(
                _(
                    "This class is only for people with household registration in %(region)s. "
                    "Add your household registration to your profile, then register again."
                )
                % {"region": region.name},
                code="region_unknown",
            )
        if not code_covers(region_code=region.code, code=worker.hukou_region.code):
            raise RegistrationRefused(
                _("This class is only for people with household registration in %(region)s.")
                % {"region": region.name},
                code="region",
            )
    if (
        event.required_special_group
        and not WorkerSpecialGroup.objects.filter(
            worker=worker, group=event.required_special_group
        ).exists()
    ):
        raise RegistrationRefused(
            _(
                "This class is only for this group: %(group)s. If you belong to it, ask your "
                "village coordinator to record it, then register again."
            )
            % {"group": SpecialGroup(event.required_special_group).label},
            code="special_group",
        )


# Seats -------------------------------------------------------------------------------------------


def _take_seat(event_id: int) -> bool:
    """Write-first: one conditional UPDATE both checks and takes the seat. Unlimited events
    (capacity NULL) still count their seats."""
    return bool(
        Event.objects.filter(
            Q(capacity__isnull=True) | Q(seats_taken__lt=F("capacity")), pk=event_id
        ).update(seats_taken=F("seats_taken") + 1)
    )


def _free_seat(event_id: int) -> None:
    Event.objects.filter(pk=event_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _lock_event(event_id: int) -> None:
    """Row lock on PostgreSQL; on SQLite, BEGIN IMMEDIATE already serialises writers."""
    list(Event.objects.select_for_update().filter(pk=event_id).values_list("pk", flat=True))


def _status_fields(status: str, now: datetime.datetime) -> dict:
    if status == RegistrationStatus.CONFIRMED:
        return {"status": status, "confirmed_at": now, "waitlisted_at": None}
    return {"status": status, "waitlisted_at": now, "confirmed_at": None}


def _result(
    registration: Registration, outcome: RegistrationOutcome, position: int | None = None
) -> RegistrationResult:
    if position is None:
        position = waitlist_position(registration=registration)
    return RegistrationResult(
        registration=registration, outcome=outcome, waitlist_position=position
    )


class _Full(Exception):
    """The seat UPDATE matched no row: roll the confirmed attempt back and queue instead."""


# Statements on PostgreSQL ------------------------------------------------------------------------
# The hot paths (a scan at the gate, a worker's registration) run as single prepared statements
# on PostgreSQL: one round trip in autocommit instead of BEGIN, several ORM queries and COMMIT,
# and planned once per connection. Elsewhere (SQLite in development) the ORM paths run.


def _one_statement(db: BaseDatabaseWrapper) -> contextlib.AbstractContextManager:
    """For one statement that a unique index may refuse: in autocommit it is a transaction of
    its own (no BEGIN and COMMIT round trips); inside a caller's transaction a savepoint keeps
    the refusal from aborting it."""
    return transaction.atomic(db.alias) if db.in_atomic_block else contextlib.nullcontext()


def _prepared_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor that binds parameters on the server, so that psycopg prepares a statement run
    `prepare_threshold` times on the connection (config/settings/base.py) and PostgreSQL plans
    it once per connection: planning our statements cost more than running them. Django's own
    cursors bind on the client and never prepare."""
    db.ensure_connection()
    # Bare, not db.cursor(): the connection's factory binds on the client. Its adapters already
    # load timestamptz in db.timezone (create_cursor re-registers only after that changes).
    cursor = psycopg.Cursor(db.connection)
    return _LoggedAsWritten(cursor, db) if db.queries_logged else db.make_cursor(cursor)


class _LoggedAsWritten(CursorDebugWrapper):
    """Logs a statement as written, placeholders included: psycopg keeps no text of a prepared
    one for Django to show."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


# What a statement returns: models, each with the fields it reads, in the models' field order.
_Layout = list[tuple[type[models.Model], list[str]]]


def _layout(*parts: tuple[type[models.Model], set[str] | None]) -> _Layout:
    """None reads every field."""
    return [
        (model, [f.attname for f in model._meta.concrete_fields if not names or f.attname in names])
        for model, names in parts
    ]


def _select_list(layout: _Layout, *aliases: str) -> str:
    """The layout's columns, each model's from the table or CTE of the same position."""
    return ", ".join(
        f'{alias}."{model._meta.get_field(name).column}"'
        for (model, names), alias in zip(layout, aliases, strict=True)
        for name in names
    )


def _load(db: BaseDatabaseWrapper, layout: _Layout, row: tuple) -> tuple[list, tuple]:
    """The layout's instances from the start of a row, as the ORM loads them (fields not read
    load when used); None where the id is NULL (an outer join without a match). Returns them
    and the rest of the row."""
    instances = []
    for model, names in layout:
        values, row = row[: len(names)], row[len(names) :]
        instances.append(model.from_db(db.alias, names, values) if values[0] is not None else None)
    return instances, row


def _as_written(instance: models.Model, *, pk: int, db: BaseDatabaseWrapper) -> None:
    """An instance made in Python for the row a statement wrote: saved, as save() leaves it."""
    instance.pk = pk
    instance._state.adding, instance._state.db = False, db.alias


# Registering -------------------------------------------------------------------------------------


# Refusals that only concern the online registration window.
WINDOW_REFUSALS = ("not_open_yet", "closed")


def register(
    *,
    event_id: int,
    worker_id: int,
    channel: str,
    created_by: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
    outside_window: bool = False,
) -> RegistrationResult:
    """Register a worker: confirmed while seats last, then waitlisted (or refused when the event
    has no waiting list). Registering twice returns the first registration; a cancelled one is
    reactivated through the same seat check. Raises RegistrationRefused with the reason.

    outside_window lets an organiser register someone at the gate before or after the online
    registration window; everything else (publication, capacity, eligibility) still applies."""
    return _register(
        _registration_facts(event_id=event_id, worker_id=worker_id),
        channel=channel,
        created_by=created_by,
        now=now or timezone.now(),
        outside_window=outside_window,
        one_statement=False,
    )


def register_self(
    *, event_id: int, user: AbstractBaseUser, now: datetime.datetime | None = None
) -> RegistrationResult:
    """A signed-in worker registering themselves: register() for the account's worker, which is
    read with the event. Raises Worker.DoesNotExist for an account without a worker profile.

    This is the request of a registration burst (thousands of workers when a popular class
    opens, bench/registration_burst.py), so on PostgreSQL a new registration is written by one
    statement (_register_in_one_statement); staff registering people one at a time keep the
    general path."""
    return _register(
        _registration_facts(event_id=event_id, user_id=user.pk),
        channel=RegistrationChannel.SELF,
        created_by=user,
        now=now or timezone.now(),
        outside_window=False,
        one_statement=True,
    )


def _register(
    facts: "_RegistrationFacts",
    *,
    channel: str,
    created_by: AbstractBaseUser | None,
    now: datetime.datetime,
    outside_window: bool,
    one_statement: bool,
) -> RegistrationResult:
    event, worker = facts.event, facts.worker
    if facts.existing_id and facts.existing_status != RegistrationStatus.CANCELLED:
        existing = Registration.objects.get(pk=facts.existing_id)
        return _result(existing, RegistrationOutcome.ALREADY_REGISTERED)
    try:
        check_window(event=event, now=now)
    except RegistrationRefused as refused:
        if not (outside_window and refused.code in WINDOW_REFUSALS):
            raise
    check_eligibility(event=event, worker=worker)
    if (
        one_statement
        and facts.existing_id is None
        and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    ):
        return _register_in_one_statement(
            event=event, worker=worker, channel=channel, created_by=created_by, now=now
        )
    existing = Registration.objects.get(pk=facts.existing_id) if facts.existing_id else None
    place = _Place(
        event=event,
        worker=worker,
        existing=existing,
        channel=channel,
        created_by=created_by,
        now=now,
    )

    try:
        # Seats look free: try for one; a stale look costs one rolled-back attempt.
        if event.capacity is None or event.seats_taken < event.capacity:
            try:
                return place.confirm()
            except _Full:
                pass
        return place.wait()
    except IntegrityError as refused:
        return _registered_meanwhile(event=event, worker=worker, refused=refused)
    except _NothingToDo:
        registration = Registration.objects.get(pk=existing.pk)
        return _result(registration, RegistrationOutcome.ALREADY_REGISTERED)


def _registered_meanwhile(
    *, event: Event, worker: Worker, refused: IntegrityError
) -> RegistrationResult:
    """After the unique constraint on event and worker refused a registration (ours is rolled
    back, seat included): the one the same worker made in another request at the same moment.
    Raises `refused` again when there is none (something else refused it)."""
    registration = Registration.objects.filter(event=event, worker=worker).first()
    if registration is None:
        raise refused
    return _result(registration, RegistrationOutcome.ALREADY_REGISTERED)


def _no_place_left(event: Event) -> RegistrationRefused:
    return RegistrationRefused(
        _("All %(count)s places are taken and this event has no waiting list.")
        % {"count": event.capacity},
        code="full",
    )


@dataclass(frozen=True)
class _RegistrationFacts:
    event: Event | None
    worker: Worker
    existing_id: int | None
    existing_status: str | None


def _registration_facts(
    *, event_id: int, worker_id: int | None = None, user_id: int | None = None
) -> _RegistrationFacts:
    """The event, the worker (given, or the account's) and their registration for the event, if
    any, as the rules need them. On PostgreSQL one prepared statement; elsewhere the ORM in two
    queries. Raises Worker.DoesNotExist."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        worker = Worker.objects.select_related("hukou_region").get(
            **({"pk": worker_id} if user_id is None else {"user_id": user_id})
        )
        mine = Registration.objects.filter(event_id=OuterRef("pk"), worker=worker)
        event = (
            Event.objects.select_related("eligible_region")
            .annotate(
                existing_id=Subquery(mine.values("pk")[:1]),
                existing_status=Subquery(mine.values("status")[:1]),
            )
            .filter(pk=event_id)
            .first()
        )
        return _RegistrationFacts(
            event=event,
            worker=worker,
            existing_id=event.existing_id if event else None,
            existing_status=event.existing_status if event else None,
        )
    with _prepared_cursor(db) as cursor:
        cursor.execute(
            _REGISTRATION_FACTS_BY_WORKER if user_id is None else _REGISTRATION_FACTS_BY_ACCOUNT,
            {"event": event_id, "worker": worker_id, "user": user_id},
        )
        row = cursor.fetchone()
    if row is None:
        raise Worker.DoesNotExist
    (event, eligible_region, worker, hukou_region), row = _load(db, _FACTS, row)
    if event is not None:
        event.eligible_region = eligible_region
    worker.hukou_region = hukou_region
    existing_id, existing_status = row
    return _RegistrationFacts(
        event=event, worker=worker, existing_id=existing_id, existing_status=existing_status
    )


# What _registration_facts_sql reads; the other fields of the event and the worker load when
# used, as with QuerySet.only().
_FACTS = _layout(
    (
        Event,
        {
            "id",
            "kind",
            "title",
            "venue",
            "address",
            "live",
            "status",
            "starts_at",
            "ends_at",
            "capacity",
            "seats_taken",
            "waiting_list_enabled",
            "registration_opens_at",
            "registration_closes_at",
            "min_age",
            "max_age",
            "eligible_region_id",
            "required_special_group",
        },
    ),
    (Region, {"id", "code", "name"}),
    (Worker, {"id", "user_id", "name", "phone", "birth_date", "hukou_region_id"}),
    (Region, {"id", "code", "name"}),
)


def _registration_facts_sql(worker: str) -> str:
    # Identifiers come from the models; every value is a parameter.
    return f"""
        SELECT {_select_list(_FACTS, "e", "eligible", "w", "hukou")}, mine.id, mine.status
        FROM trainees_worker w
        LEFT JOIN trainees_region hukou ON hukou.id = w.hukou_region_id
        LEFT JOIN events_event e ON e.id = %(event)s
        LEFT JOIN trainees_region eligible ON eligible.id = e.eligible_region_id
        LEFT JOIN events_registration mine ON mine.event_id = e.id AND mine.worker_id = w.id
        WHERE {worker}
    """  # noqa: S608


_REGISTRATION_FACTS_BY_WORKER = _registration_facts_sql("w.id = %(worker)s")
_REGISTRATION_FACTS_BY_ACCOUNT = _registration_facts_sql("w.user_id = %(user)s")


def _register_in_one_statement(
    *,
    event: Event,
    worker: Worker,
    channel: str,
    created_by: AbstractBaseUser | None,
    now: datetime.datetime,
) -> RegistrationResult:
    """A new registration on PostgreSQL in one prepared statement: take a seat if one is free,
    else join the waiting list (or nothing, without one), and queue the message, all or
    nothing. The general path needs up to ten round trips for it and held the event row
    locked across several of them; here the event row is held only by this statement and its
    commit: updated when a seat is taken, else with FOR KEY SHARE (the lock its foreign key
    takes anyway), so that waiting-list joiners and seat takers do not queue for each other.
    That lock still excludes a cancellation, which locks the row FOR UPDATE (_lock_event):
    either it commits first and this statement sees the seat it freed (then the waiting list
    is filled below), or it waits for this commit and then promotes from a waiting list that
    includes this registration.

    Raises RegistrationRefused when the event is full and has no waiting list. When the same
    worker registered at the same moment in another request, answers with that registration."""
    created = timezone.now()  # auto_now_add, as Model.save would set it
    registration = Registration(
        event=event, worker=worker, channel=channel, created_by=created_by, created_at=created
    )
    registration.ticket_hash = tickets.ticket_hash_for(tickets.ticket_token(registration))
    confirm_key, confirm_key_end = _around_slot(_dedupe_key(CONFIRM_SMS_KIND, _SLOT, now))
    wait_key, wait_key_end = _around_slot(_dedupe_key(WAITLIST_SMS_KIND, _SLOT, now))
    wait_body, wait_body_end = _around_slot(_waitlist_text(registration, position=_SLOT))
    params = {
        "event": event.pk,
        "worker": worker.pk,
        "channel": channel,
        "created_by": created_by.pk if created_by else None,
        "now": now,
        "created": created,
        "ticket_hash": registration.ticket_hash,
        "waiting_list": event.waiting_list_enabled,
        "confirmed": RegistrationStatus.CONFIRMED,
        "waitlisted": RegistrationStatus.WAITLISTED,
        "phone": worker.phone,
        "confirm_kind": CONFIRM_SMS_KIND,
        "confirm_body": _confirmation_text(registration),
        "confirm_key": confirm_key,
        "confirm_key_end": confirm_key_end,
        "wait_kind": WAITLIST_SMS_KIND,
        "wait_body": wait_body,
        "wait_body_end": wait_body_end,
        "wait_key": wait_key,
        "wait_key_end": wait_key_end,
        "pending": OutboundMessage.Status.PENDING,
    }
    db = connections[DEFAULT_DB_ALIAS]
    try:
        with _one_statement(db), _prepared_cursor(db) as cursor:
            cursor.execute(_PLACE_REGISTRATION, params)
            row = cursor.fetchone()
    except IntegrityError as refused:
        return _registered_meanwhile(event=event, worker=worker, refused=refused)
    if row is None:
        raise _no_place_left(event)
    registration_id, status, message_id, seat_freed, position = row
    for name, value in _status_fields(status, now).items():
        setattr(registration, name, value)
    _as_written(registration, pk=registration_id, db=db)
    deliver_on_commit(message_id=message_id)
    if status == RegistrationStatus.CONFIRMED:
        return _result(registration, RegistrationOutcome.CONFIRMED, position=None)
    if seat_freed:
        _fill_free_seats(event=event, now=now)
        registration.refresh_from_db(fields=["status", "confirmed_at"])
        if registration.status == RegistrationStatus.CONFIRMED:
            return _result(registration, RegistrationOutcome.CONFIRMED, position=None)
        position = None  # the freed seats went to people ahead: counted again
    return _result(registration, RegistrationOutcome.WAITLISTED, position=position)


# The messages as _sms writes them: kinds, texts and dedupe keys come from Python, split around
# the value only the statement knows (_around_slot). A newcomer's place is counted once the seat
# is lost, as waitlist_position counts it (every row this statement sees has a lower id).
_PLACE_REGISTRATION = """
    WITH seat AS (
        UPDATE events_event SET seats_taken = seats_taken + 1
        WHERE id = %(event)s AND (capacity IS NULL OR seats_taken < capacity)
        RETURNING id
    ), queue AS (
        SELECT seats_taken < capacity AS seat_freed, (
            SELECT count(*) + 1 FROM events_registration
            WHERE event_id = %(event)s AND status = %(waitlisted)s AND waitlisted_at <= %(now)s
        ) AS position
        FROM events_event
        WHERE id = %(event)s AND NOT EXISTS (SELECT FROM seat)
        FOR KEY SHARE
    ), outcome AS (
        SELECT CASE WHEN EXISTS (SELECT FROM seat) THEN %(confirmed)s ELSE %(waitlisted)s END
            AS status
    ), registration AS (
        INSERT INTO events_registration (event_id, worker_id, status, channel, created_by_id,
            created_at, waitlisted_at, confirmed_at, cancel_reason, ticket_version, ticket_hash)
        SELECT %(event)s::bigint, %(worker)s::bigint, status, %(channel)s,
            %(created_by)s::integer, %(created)s,
            CASE WHEN status = %(waitlisted)s THEN %(now)s::timestamptz END,
            CASE WHEN status = %(confirmed)s THEN %(now)s::timestamptz END,
            '', 1, %(ticket_hash)s
        FROM outcome
        WHERE status = %(confirmed)s OR %(waiting_list)s
        RETURNING id, status
    ), message AS (
        INSERT INTO trainees_outboundmessage (phone, kind, body, dedupe_key, status, attempts,
            last_error, created_at)
        SELECT %(phone)s, sms.kind, concat(sms.body, queue.position, sms.body_end),
            concat(sms.key, registration.id, sms.key_end), %(pending)s, 0, '', %(created)s
        FROM registration LEFT JOIN queue ON true JOIN (VALUES
            (%(confirmed)s, %(confirm_kind)s, %(confirm_body)s, '', %(confirm_key)s,
                %(confirm_key_end)s),
            (%(waitlisted)s, %(wait_kind)s, %(wait_body)s, %(wait_body_end)s, %(wait_key)s,
                %(wait_key_end)s)
        ) AS sms (status, kind, body, body_end, key, key_end) ON sms.status = registration.status
        RETURNING id
    )
    SELECT registration.id, registration.status, message.id, queue.seat_freed, queue.position
    FROM registration CROSS JOIN message LEFT JOIN queue ON true
"""


def _fill_free_seats(*, event: Event, now: datetime.datetime) -> None:
    """Give a seat freed by a cancellation that could not see the waiting list's newest entry."""
    with transaction.atomic():
        _lock_event(event.pk)
        while _promote_next(event=event, now=now):
            pass


@dataclass(frozen=True, kw_only=True)
class _Place:
    """One registration attempt. The seat is taken by the last statement before COMMIT, so the
    event row, which every registration for the event updates, stays locked only for the
    UPDATE and the commit: that lock is what limits registrations per second for one event."""

    event: Event
    worker: Worker
    existing: Registration | None
    channel: str
    created_by: AbstractBaseUser | None
    now: datetime.datetime

    def _write(self, status: str) -> Registration:
        if self.existing is None:
            registration = Registration(
                event=self.event,
                worker=self.worker,
                channel=self.channel,
                created_by=self.created_by,
                **_status_fields(status, self.now),
            )
            registration.ticket_hash = tickets.ticket_hash_for(tickets.ticket_token(registration))
            registration.save(force_insert=True)
            return registration
        registration = _reopen(self.existing, status=status, now=self.now)
        registration.event, registration.worker = self.event, self.worker
        return registration

    def confirm(self) -> RegistrationResult:
        with transaction.atomic():
            registration = self._write(RegistrationStatus.CONFIRMED)
            _sms(
                registration,
                kind=CONFIRM_SMS_KIND,
                body=_confirmation_text(registration),
                now=self.now,
            )
            if not _take_seat(self.event.pk):
                raise _Full
        return _result(registration, RegistrationOutcome.CONFIRMED, position=None)

    def wait(self) -> RegistrationResult:
        with transaction.atomic():
            if not self.event.waiting_list_enabled:
                _lock_event(self.event.pk)
                if not _take_seat(self.event.pk):
                    raise _no_place_left(self.event)
                registration = self._write(RegistrationStatus.CONFIRMED)
                _notify_place(registration, now=self.now)
                return _result(registration, RegistrationOutcome.CONFIRMED, position=None)
            registration = self._write(RegistrationStatus.WAITLISTED)
            position = waitlist_position(registration=registration)
            message = _sms(
                registration,
                kind=WAITLIST_SMS_KIND,
                body=_waitlist_text(registration, position=position),
                now=self.now,
            )
            # Last, under the event lock: a cancellation that committed meanwhile has freed a
            # seat, which we take; one still running waits for our commit and then promotes us.
            _lock_event(self.event.pk)
            if _take_seat(self.event.pk):
                registration.status = RegistrationStatus.CONFIRMED
                registration.confirmed_at = self.now
                registration.save(update_fields=["status", "confirmed_at"])
                message.delete()  # its delivery task finds no row and does nothing
                _notify_place(registration, now=self.now)
                return _result(registration, RegistrationOutcome.CONFIRMED, position=None)
        return _result(registration, RegistrationOutcome.WAITLISTED, position=position)


def _reopen(registration: Registration, *, status: str, now: datetime.datetime) -> Registration:
    """Reactivate a cancelled registration; the conditional UPDATE makes a concurrent second
    reactivation a no-op (rolled back with its seat)."""
    fields = {
        "cancelled_at": None,
        "cancelled_by": None,
        "cancel_reason": "",
        **_status_fields(status, now),
    }
    if not Registration.objects.filter(
        pk=registration.pk, status=RegistrationStatus.CANCELLED
    ).update(**fields):
        raise _NothingToDo
    for name, value in fields.items():
        setattr(registration, name, value)
    if not registration.ticket_hash:
        registration.ticket_hash = tickets.ticket_hash_for(tickets.ticket_token(registration))
        registration.save(update_fields=["ticket_hash"])
    return registration


def cancel_registration(
    *,
    registration_id: int,
    by_user: AbstractBaseUser | None = None,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Registration:
    """Cancel a registration (idempotent). A confirmed one frees its seat, which goes to the first
    person on the waiting list in the same transaction."""
    now = now or timezone.now()
    registration = Registration.objects.select_related("event", "worker").get(pk=registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    with transaction.atomic():
        _lock_event(registration.event_id)
        # Re-read under the lock: another cancellation or a promotion may have changed it.
        status = (
            Registration.objects.filter(pk=registration_id).values_list("status", flat=True).get()
        )
        if status == RegistrationStatus.CANCELLED:
            registration.refresh_from_db()
            return registration
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.cancelled_by = by_user
        registration.cancel_reason = reason[:200]
        registration.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        if status == RegistrationStatus.CONFIRMED:
            _free_seat(registration.event_id)
            _promote_next(event=registration.event, now=now)
        if by_user is not None and by_user.pk != registration.worker.user_id:
            _notify_cancelled(registration, now=now)
    return registration


def _promote_next(*, event: Event, now: datetime.datetime) -> Registration | None:
    """Give a free seat to the first waiting person; the caller holds the event lock."""
    candidate = (
        Registration.objects.filter(event_id=event.pk, status=RegistrationStatus.WAITLISTED)
        .select_related("worker")
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if candidate is None or not _take_seat(event.pk):
        return None
    candidate.status = RegistrationStatus.CONFIRMED
    candidate.confirmed_at = now
    candidate.save(update_fields=["status", "confirmed_at"])
    candidate.event = event
    _sms(candidate, kind="reg-promote", body=_promotion_text(candidate), now=now)
    return candidate


def restore_registration(
    *, registration_id: int, by_user: AbstractBaseUser, now: datetime.datetime | None = None
) -> RegistrationResult:
    """For organisers: undo a cancellation. Confirmed when a seat is free, else at the end of the
    waiting list (even on events without one: the organiser asked for it)."""
    now = now or timezone.now()
    registration = Registration.objects.select_related("event", "worker").get(pk=registration_id)
    try:
        with transaction.atomic():
            # Registration row first, then the event, as a worker's reactivation does.
            _reopen(registration, status=RegistrationStatus.WAITLISTED, now=now)
            _lock_event(registration.event_id)
            if _take_seat(registration.event_id):
                for name, value in _status_fields(RegistrationStatus.CONFIRMED, now).items():
                    setattr(registration, name, value)
                registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
            _notify_place(registration, now=now)
    except _NothingToDo:
        registration.refresh_from_db()
        return _result(registration, RegistrationOutcome.ALREADY_REGISTERED)
    return _result(registration, RegistrationOutcome(registration.status))


# Notifications -----------------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _sms(
    registration: Registration, *, kind: str, body: str, now: datetime.datetime
) -> OutboundMessage:
    return queue_sms(
        phone=registration.worker.phone,
        kind=kind,
        body=body,
        dedupe_key=_dedupe_key(kind, registration.pk, now),
    )


def _dedupe_key(kind: str, registration_id: int | str, now: datetime.datetime) -> str:
    # One message per state change: the microsecond of the change tells two apart.
    return f"{kind}:{registration_id}:{int(now.timestamp() * 1_000_000)}"


# Stands for a value that only a statement knows (a new row's id, a place in the waiting list)
# in a text made in Python; PostgreSQL text cannot hold NUL, so no title or name contains it.
_SLOT = "\x00"


def _around_slot(text: str) -> tuple[str, str]:
    """The text before and after its one _SLOT, for the statement to join around the value."""
    before, after = text.split(_SLOT)
    return before, after


def _facts(registration: Registration) -> dict[str, str]:
    event = registration.event
    return {
        "event": event.title,
        "when": tickets.when_text(event),
        "place": f"{event.venue} ({event.address})",
        "code": tickets.manual_code(tickets.ticket_token(registration)),
    }


def _notify_place(registration: Registration, *, now: datetime.datetime) -> None:
    if registration.status == RegistrationStatus.CONFIRMED:
        _sms(registration, kind=CONFIRM_SMS_KIND, body=_confirmation_text(registration), now=now)
    else:
        _sms(registration, kind=WAITLIST_SMS_KIND, body=_waitlist_text(registration), now=now)


def _confirmation_text(registration: Registration) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Spring Breeze Action: you are registered for %(event)s, %(when)s, at %(place)s. "
            "Ticket code %(code)s; show the QR code under My registrations at the entrance."
        ) % _facts(registration)


def _waitlist_text(registration: Registration, *, position: int | str | None = None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Spring Breeze Action: %(event)s is full. You are number %(position)s on the waiting "
            "list; we will send a message if a place becomes free."
        ) % {
            "event": registration.event.title,
            "position": position or waitlist_position(registration=registration),
        }


def _promotion_text(registration: Registration) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Spring Breeze Action: a place became free and it is yours. %(event)s, %(when)s, at "
            "%(place)s. Ticket code %(code)s; show the QR code under My registrations."
        ) % _facts(registration)


def _notify_cancelled(registration: Registration, *, now: datetime.datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Spring Breeze Action: the organiser cancelled your registration for %(event)s "
            "(%(when)s). Call the service hotline if you have questions."
        ) % {"event": registration.event.title, "when": tickets.when_text(registration.event)}
    _sms(registration, kind="reg-cancel", body=body, now=now)


def queue_event_reminders(*, now: datetime.datetime) -> int:
    """One reminder per confirmed registration of published, scheduled events starting 24 to
    48 hours from now. Idempotent: reminder_sent_at is set in the transaction that queues it."""
    earliest, latest = (now + offset for offset in REMINDER_WINDOW)
    due = list(
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            reminder_sent_at__isnull=True,
            event__live=True,
            event__status=EventStatus.SCHEDULED,
            event__starts_at__gte=earliest,
            event__starts_at__lt=latest,
        ).values_list("pk", flat=True)
    )
    queued = 0
    for registration_id in due:
        with transaction.atomic():
            claimed = Registration.objects.filter(
                pk=registration_id,
                status=RegistrationStatus.CONFIRMED,
                reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            registration = Registration.objects.select_related("event", "worker").get(
                pk=registration_id
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _(
                    "Spring Breeze Action reminder: %(event)s starts %(when)s at %(place)s. "
                    "Ticket code %(code)s; bring your ID card."
                ) % _facts(registration)
            queue_sms(
                phone=registration.worker.phone,
                kind="reg-remind",
                body=body,
                dedupe_key=f"reg-remind:{registration.pk}:{registration.event.starts_at:%Y%m%d%H%M}",
            )
            queued += 1
    return queued


@dataclass(frozen=True)
class WorkerRegistration:
    """What happened when a coordinator registered one worker: the outcome or the refusal."""

    worker: Worker
    message: str


def register_workers(
    *, event_id: int, worker_ids: list[int], by_user: AbstractBaseUser, channel: str
) -> list[WorkerRegistration]:
    """Register several workers, each on their own (one refusal does not stop the others)."""
    workers = Worker.objects.in_bulk(worker_ids)
    results = []
    for worker_id in worker_ids:
        worker = workers[worker_id]
        try:
            result = register(
                event_id=event_id, worker_id=worker_id, channel=channel, created_by=by_user
            )
        except RegistrationRefused as refused:
            results.append(WorkerRegistration(worker=worker, message=refused.reason))
            continue
        if result.outcome == RegistrationOutcome.WAITLISTED:
            message = _("On the waiting list, number %(position)s.") % {
                "position": result.waitlist_position
            }
        elif result.outcome == RegistrationOutcome.ALREADY_REGISTERED:
            message = _("Was already registered.")
        else:
            message = _("Registered.")
        results.append(WorkerRegistration(worker=worker, message=message))
    return results


# Check-in ----------------------------------------------------------------------------------------
# Scans at the gate, undo, walk-ins, excused absences and scanner devices (docs/checkin-api.md).
#
# Race-free by writing first, as registration is: a sign-in is an INSERT that the partial unique
# constraint (one live check-in per registration, session and direction) refuses the second time,
# on PostgreSQL and SQLite alike; the loser reports already_checked_in with the winner's row.
# Every scan that passes input validation writes one ScanLog row in the same transaction, keyed
# by the client's nonce, whose unique index refuses a retried request (or its racing copy): that
# one gets the first answer again, looked up only then, so a new scan never reads before writing.

UNDO_WINDOW = datetime.timedelta(minutes=15)
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
DEVICE_TOKEN_BYTES = 20  # 160 bits, 32 characters of upper-case base32: a v2 QR code
DEVICE_TOUCH_INTERVAL = datetime.timedelta(minutes=1)
# Results that come with a check-in: the one just made, or the one that was there first.
FIRST_SCAN_RESULTS = (
    ScanResult.CHECKED_IN,
    ScanResult.CHECKED_OUT,
    ScanResult.ALREADY_CHECKED_IN,
    ScanResult.ALREADY_CHECKED_OUT,
)


class BadScan(ValueError):
    """The request itself is wrong (bad nonce, direction, event or session): `message` is
    translated, for the scanner page to show; nothing was logged."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, kw_only=True)
class ScanOutcome:
    result: str  # a ScanResult value
    scan: ScanLog
    registration: Registration | None = None
    session: Session | None = None
    # The check-in made by this scan, or for already_* the live one that was there first.
    checkin: CheckIn | None = None
    replayed: bool = False
    detail: str = ""  # wrong_session: "closed" (no window open) or "other_event"

    @property
    def name(self) -> str:
        """The masked name, only for a registration of this event."""
        if self.registration is None or self.result == ScanResult.NOT_REGISTERED:
            return ""
        return self.registration.worker.masked_name

    @property
    def undo_until(self) -> datetime.datetime | None:
        if self.result not in (ScanResult.CHECKED_IN, ScanResult.CHECKED_OUT):
            return None
        if self.checkin is None or self.checkin.undone_at is not None:
            return None
        return undo_deadline(self.checkin)

    @property
    def message(self) -> str:
        """In the active language, so the API answers in the request's language."""
        return scan_message(self)


def undo_deadline(checkin: CheckIn) -> datetime.datetime:
    # received_at is the server's clock; a client's scanned_at can only be earlier (it is
    # clamped), so the later of the two gives at least 15 minutes after the server got it.
    return max(checkin.scanned_at, checkin.received_at or checkin.scanned_at) + UNDO_WINDOW


def scan_message(outcome: ScanOutcome) -> str:
    name = outcome.name
    first = outcome.checkin
    result = outcome.result
    if result == ScanResult.CHECKED_IN:
        return _("Signed in: %(name)s.") % {"name": name}
    if result == ScanResult.CHECKED_OUT:
        return _("Signed out: %(name)s.") % {"name": name}
    if result in (ScanResult.ALREADY_CHECKED_IN, ScanResult.ALREADY_CHECKED_OUT) and first:
        facts = {
            "name": name,
            "time": f"{timezone.localtime(first.scanned_at):%H:%M}",
            "gate": first.gate or "—",
        }
        if result == ScanResult.ALREADY_CHECKED_IN:
            return _("%(name)s already signed in at %(time)s (gate %(gate)s).") % facts
        return _("%(name)s already signed out at %(time)s (gate %(gate)s).") % facts
    if result == ScanResult.NOT_REGISTERED:
        if outcome.registration is not None:
            return _("This ticket is for another event: %(event)s.") % {
                "event": outcome.registration.event.title
            }
        return _("Not registered for this event.")
    if result == ScanResult.WAITLISTED:
        return _("%(name)s is on the waiting list and has no place. Do not let in.") % {
            "name": name
        }
    if result == ScanResult.CANCELLED:
        return _("The registration of %(name)s was cancelled. Do not let in.") % {"name": name}
    if result == ScanResult.WRONG_SESSION:
        if outcome.detail == "other_event":
            return _("The chosen session belongs to another event.")
        return _("No session of this event is open for check-in now.")
    if result == ScanResult.UNKNOWN_CODE:
        return _("Unknown code. Type the code under the QR code, or search by name or phone.")
    return str(ScanResult(result).label)


def _check_nonce(nonce: str) -> None:
    if not isinstance(nonce, str) or not NONCE_PATTERN.match(nonce):
        raise BadScan(
            _("The nonce must be 8 to 64 letters, digits or ._:- characters."), code="bad_nonce"
        )


def _replay(scan: ScanLog, *, event_id: int) -> ScanOutcome:
    if scan.event_id != event_id:
        raise BadScan(_("This nonce was already used for another event."), code="nonce_reused")
    return ScanOutcome(
        result=scan.result,
        scan=scan,
        registration=scan.registration,
        session=scan.session,
        checkin=scan.checkin,
        replayed=True,
    )


def _find_registration(
    *, event_id: int, code: str, registration_id: int | None
) -> tuple[Registration | None, str | None]:
    """The registration and, when the code alone decides it, the result."""
    if registration_id is not None:
        registration = (
            Registration.objects.filter(pk=registration_id)
            .select_related("worker", "event")
            .first()
        )
        if registration is None:
            return None, ScanResult.UNKNOWN_CODE
        if registration.event_id != event_id:
            return registration, ScanResult.NOT_REGISTERED
        return registration, None
    registration = selectors.registration_for_code(event_id=event_id, code=code)
    if registration is None:
        return None, ScanResult.UNKNOWN_CODE
    if registration.event_id != event_id:
        return registration, ScanResult.NOT_REGISTERED
    return registration, None


def check_in(
    *,
    code: str = "",
    event_id: int,
    registration_id: int | None = None,
    session_id: int | None = None,
    direction: str = Direction.IN,
    gate: str = "",
    nonce: str,
    scanned_at: datetime.datetime | None = None,
    device: ScannerDevice | None = None,
    user: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
) -> ScanOutcome:
    """Sign a ticket in or out at a session of the event and log the scan.

    `code` is the 26-character token from the QR code or the 10-character manual code (dashes
    and case do not matter); `registration_id` replaces it for a check-in picked from a search.
    Without `session_id` the session is chosen by the clock (selectors.session_at). A client's
    `scanned_at` later than now is taken as now; an earlier one (a scan queued offline) counts.
    Raises BadScan for a malformed request and Event.DoesNotExist for an unknown event.
    """
    now = now or timezone.now()
    _check_nonce(nonce)
    if direction not in Direction.values:
        raise BadScan(_("The direction must be 'in' or 'out'."), code="bad_direction")
    setup = selectors.scan_setup(event_id=event_id)
    at = min(scanned_at or now, now)
    gate = (gate or "")[:60]
    session, detail = _session_for_scan(
        setup=setup, session_id=session_id, at=at, direction=direction
    )
    done, already = (
        (ScanResult.CHECKED_IN, ScanResult.ALREADY_CHECKED_IN)
        if direction == Direction.IN
        else (ScanResult.CHECKED_OUT, ScanResult.ALREADY_CHECKED_OUT)
    )
    token = tickets.normalise_code(code)
    if (
        session is not None
        and registration_id is None
        and len(token) == tickets.TOKEN_LENGTH
        and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    ):
        outcome = _check_in_by_token(
            token=token,
            event_id=event_id,
            session=session,
            direction=direction,
            gate=gate,
            device=device,
            user=user,
            nonce=nonce,
            at=at,
            done=done,
            already=already,
        )
        if outcome is not None:
            return outcome

    registration, result = _find_registration(
        event_id=event_id, code=code, registration_id=registration_id
    )
    if result is None:
        if registration.status == RegistrationStatus.CANCELLED:
            result = ScanResult.CANCELLED
        elif registration.status == RegistrationStatus.WAITLISTED:
            result = ScanResult.WAITLISTED
    if result is not None:
        session, detail = None, ""  # refused before the session mattered
    elif session is None:
        result = ScanResult.WRONG_SESSION
    checkin = None
    for _attempt in range(3):
        log = _scan_log(
            event_id=event_id,
            session=session,
            # A ticket of another event is logged without it: this event's log lists its own.
            registration=registration if result != ScanResult.NOT_REGISTERED else None,
            direction=direction,
            gate=gate,
            device=device,
            user=user,
            nonce=nonce,
            at=at,
        )
        try:
            # No savepoint around the check-in: a refused INSERT rolls the whole attempt back.
            with transaction.atomic():
                if result is None:
                    checkin = CheckIn.objects.create(
                        registration=registration,
                        session=session,
                        direction=direction,
                        gate=gate,
                        device=device,
                        checked_by=user,
                        scanned_at=at,
                    )
                log.result = result or done
                log.checkin = checkin
                log.save(force_insert=True)
            break
        except IntegrityError:
            # A known nonce (a retry, or its copy racing this one) gets its first answer again.
            stored = selectors.scan_for_nonce(nonce=nonce)
            if stored is not None:
                return _replay(stored, event_id=event_id)
            if result is not None:
                raise
            # Someone signed this ticket in first: report their check-in. If it was undone in
            # between, try again.
            checkin = selectors.live_checkin(
                registration_id=registration.pk, session_id=session.pk, direction=direction
            )
            if checkin is not None:
                result = already
    else:
        raise IntegrityError("A check-in kept changing under this scan.")
    return ScanOutcome(
        result=log.result,
        scan=log,
        registration=registration,
        session=session,
        checkin=checkin,
        detail=detail,
    )


def _scan_log(
    *,
    event_id: int,
    session: Session | None,
    registration: Registration | None,
    direction: str,
    gate: str,
    device: ScannerDevice | None,
    user: AbstractBaseUser | None,
    nonce: str,
    at: datetime.datetime,
) -> ScanLog:
    """A scan's log row as both paths of check_in make it; the caller adds the result and the
    check-in, and saving it (or _as_written) the id and received_at."""
    return ScanLog(
        event_id=event_id,
        session=session,
        registration=registration,
        direction=direction,
        gate=gate,
        device=device,
        user=user,
        client_nonce=nonce,
        scanned_at=at,
    )


def _check_in_by_token(
    *,
    token: str,
    event_id: int,
    session: Session,
    direction: str,
    gate: str,
    device: ScannerDevice | None,
    user: AbstractBaseUser | None,
    nonce: str,
    at: datetime.datetime,
    done: str,
    already: str,
) -> ScanOutcome | None:
    """The common scan on PostgreSQL in one statement: a confirmed registration of this event
    signed in at the session (`done`), or found signed in already (`already`, with the check-in
    that was first). None for anything else (an unknown code, a ticket of another event, a
    cancelled or waiting registration, a known nonce, or a first check-in committed too late
    for this statement to see): the general path then decides and explains.

    Where the general path runs BEGIN, SELECT, INSERT, INSERT, COMMIT, this is one round trip
    in autocommit, with the same guarantees: the sign-in is INSERT ... ON CONFLICT DO NOTHING
    on the partial unique index, the log row goes in with it or not at all, and the nonce's
    unique index refuses a retry. The statement is prepared (_prepared_cursor): planning it
    cost more than running it (bench/README.md)."""
    db = connections[DEFAULT_DB_ALIAS]
    params = {
        "hash": tickets.ticket_hash_for(token),
        "event": event_id,
        "confirmed": RegistrationStatus.CONFIRMED,
        "session": session.pk,
        "direction": direction,
        "gate": gate,
        "device": device.pk if device else None,
        "user": user.pk if user else None,
        "nonce": nonce,
        "at": at,
        "received": timezone.now(),  # auto_now_add, as Model.save would set it
        "done": done,
        "already": already,
    }
    try:
        with _one_statement(db), _prepared_cursor(db) as cursor:
            cursor.execute(_CHECK_IN_BY_TOKEN, params)
            row = cursor.fetchone()
    except IntegrityError:
        return None  # a known nonce: the general path answers as the first time
    if row is None:
        return None
    (log_id, result), row = row[:2], row[2:]
    (checkin, registration, worker), _rest = _load(db, _SIGNED, row)
    registration.worker = worker
    log = _scan_log(
        event_id=event_id,
        session=session,
        registration=registration,
        direction=direction,
        gate=gate,
        device=device,
        user=user,
        nonce=nonce,
        at=at,
    )
    log.result, log.checkin, log.received_at = result, checkin, params["received"]
    _as_written(log, pk=log_id, db=db)
    return ScanOutcome(
        result=result,
        scan=log,
        registration=registration,
        session=session,
        checkin=checkin,
    )


# What _CHECK_IN_BY_TOKEN returns after the log row's id and result: the check-in (made or
# first) whole, and of the registration and its worker what a scan's answer uses.
_SIGNED = _layout(
    (CheckIn, None),
    (Registration, {"id", "event_id", "worker_id", "status", "channel", "ticket_version"}),
    (Worker, {"id", "name"}),
)


# Typed placeholders where a value lands in a SELECT list: parameters are bound on the server,
# and PostgreSQL would take an untyped NULL there for text. Identifiers come from the models.
_CHECK_IN_BY_TOKEN = f"""
    WITH registration AS (
        SELECT * FROM events_registration
        WHERE ticket_hash = %(hash)s AND event_id = %(event)s AND status = %(confirmed)s
    ), signed AS (
        INSERT INTO events_checkin (registration_id, session_id, direction, gate, device_id,
            checked_by_id, scanned_at, received_at)
        SELECT id, %(session)s::bigint, %(direction)s, %(gate)s, %(device)s::bigint,
            %(user)s::integer, %(at)s, %(received)s
        FROM registration
        ON CONFLICT (registration_id, session_id, direction) WHERE undone_at IS NULL DO NOTHING
        RETURNING *
    ), first AS (
        SELECT *, true AS mine FROM signed
        UNION ALL
        SELECT *, false FROM events_checkin
        WHERE registration_id = (SELECT id FROM registration) AND session_id = %(session)s
            AND direction = %(direction)s AND undone_at IS NULL
            AND NOT EXISTS (SELECT FROM signed)
    ), logged AS (
        INSERT INTO events_scanlog (event_id, session_id, registration_id, checkin_id,
            direction, result, gate, device_id, user_id, client_nonce, scanned_at, received_at)
        SELECT %(event)s::bigint, %(session)s, registration_id, id, %(direction)s,
            CASE WHEN mine THEN %(done)s ELSE %(already)s END, %(gate)s, %(device)s,
            %(user)s, %(nonce)s, %(at)s, %(received)s
        FROM first
        RETURNING id, result
    )
    SELECT logged.id, logged.result, {_select_list(_SIGNED, "first", "registration", "w")}
    FROM logged, first, registration JOIN trainees_worker w ON w.id = registration.worker_id
"""  # noqa: S608


def _session_for_scan(
    *, setup: selectors.ScanSetup, session_id: int | None, at: datetime.datetime, direction: str
) -> tuple[Session | None, str]:
    if session_id is not None:
        # The operator picked it: used as given, whatever the clock says.
        session = next((session for session in setup.sessions if session.pk == session_id), None)
        return session, "" if session else "other_event"
    session = selectors.session_at(
        sessions=setup.sessions, rules=setup.rules, at=at, direction=direction
    )
    return session, "" if session else "closed"


@dataclass(frozen=True, kw_only=True)
class UndoOutcome:
    undone: bool
    code: str  # undone, not_found, not_a_checkin, already_undone, too_late
    checkin: CheckIn | None = None
    scan: ScanLog | None = None  # the UNDONE log row

    @property
    def status(self) -> str:
        return "undone" if self.undone else "refused"

    @property
    def message(self) -> str:
        messages = {
            "undone": _("Undone. The ticket can be scanned again."),
            "not_found": _("There is no such scan."),
            "not_a_checkin": _(
                "This scan did not sign anyone in or out, so there is nothing to undo."
            ),
            "already_undone": _("This check-in was already undone."),
            "too_late": _("A check-in can only be undone within %(minutes)s minutes.")
            % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)},
        }
        return messages[self.code]


def undo_check_in(
    *,
    scan_log_id: int | None = None,
    checkin_id: int | None = None,
    by: AbstractBaseUser | None = None,
    device: ScannerDevice | None = None,
    now: datetime.datetime | None = None,
) -> UndoOutcome:
    """Undo a mistaken sign-in or sign-out, once and only within UNDO_WINDOW of it. Identified by
    the scan that made it (`scan_log_id`, what the scanner has) or by the check-in itself. The
    conditional UPDATE makes two undos at once undo it once; the undo is logged as an UNDONE
    scan with a server-made nonce."""
    now = now or timezone.now()
    if scan_log_id is not None:
        scan = selectors.scan_with_checkin(scan_id=scan_log_id)
        if scan is None:
            return UndoOutcome(undone=False, code="not_found")
        if scan.result not in (ScanResult.CHECKED_IN, ScanResult.CHECKED_OUT) or not scan.checkin:
            return UndoOutcome(undone=False, code="not_a_checkin")
        checkin = scan.checkin
    else:
        checkin = CheckIn.objects.filter(pk=checkin_id).first()
        if checkin is None:
            return UndoOutcome(undone=False, code="not_found")
    if checkin.undone_at is not None:
        return UndoOutcome(undone=False, code="already_undone", checkin=checkin)
    if now > undo_deadline(checkin):
        return UndoOutcome(undone=False, code="too_late", checkin=checkin)
    with transaction.atomic():
        if not CheckIn.objects.filter(pk=checkin.pk, undone_at__isnull=True).update(
            undone_at=now, undone_by=by
        ):
            return UndoOutcome(undone=False, code="already_undone", checkin=checkin)
        checkin.undone_at, checkin.undone_by = now, by
        session = Session.objects.only("event_id").get(pk=checkin.session_id)
        log = ScanLog.objects.create(
            event_id=session.event_id,
            session_id=checkin.session_id,
            registration_id=checkin.registration_id,
            checkin=checkin,
            direction=checkin.direction,
            result=ScanResult.UNDONE,
            gate=checkin.gate,
            device=device,
            user=by,
            client_nonce=f"undo-{secrets.token_hex(16)}",
            scanned_at=now,
        )
    return UndoOutcome(undone=True, code="undone", checkin=checkin, scan=log)


def register_walk_in(
    *,
    event_id: int,
    name: str,
    phone: str,
    id_number: str = "",
    user: AbstractBaseUser,
    gate: str = "",
    nonce: str,
    device: ScannerDevice | None = None,
    now: datetime.datetime | None = None,
) -> ScanOutcome:
    """Someone without a registration at the gate: find the worker by ID number or phone, or
    record a new one (provenance WALK_IN, consent given verbally to the organiser), register
    them with channel WALK_IN and sign them in at once.

    At a job fair the online registration window does not apply at the gate (people come on the
    day), but capacity does: a full fair with a waiting list puts the walk-in on it, and the
    outcome is then `waitlisted`. A training class applies all its rules (window, eligibility,
    capacity) as online. Raises RegistrationRefused or a ValidationError (bad phone or ID
    number, DuplicateWorker only in the rare case that two records claim the phone and the ID).
    A retried nonce returns the first outcome and creates nothing.
    """
    now = now or timezone.now()
    _check_nonce(nonce)
    stored = selectors.scan_for_nonce(nonce=nonce)
    if stored is not None:
        return _replay(stored, event_id=event_id)
    event = Event.objects.get(pk=event_id)
    phone = normalise_mobile(phone)
    id_number = (id_number or "").strip()
    if id_number:
        id_numbers.parse(id_number)  # a typo is refused, not silently ignored
    worker = find_worker(phone=phone, id_number=id_number)
    if worker is None:
        if not name.strip():
            raise ValidationError({"name": _("Enter the name.")})
        try:
            worker = create_worker(
                details=WorkerDetails(name=name, phone=phone, id_number=id_number),
                provenance=Provenance.WALK_IN,
                created_by=user,
                consent_method=ConsentMethod.VERBAL,
            )
        except DuplicateWorker as duplicate:
            worker = duplicate.existing  # recorded by another gate a moment ago
    # A job fair on its day takes people at the gate whatever the online window said.
    registration = register(
        event_id=event.pk,
        worker_id=worker.pk,
        channel=RegistrationChannel.WALK_IN,
        created_by=user,
        now=now,
        outside_window=event.kind == EventKind.JOB_FAIR,
    ).registration
    return check_in(
        event_id=event_id,
        registration_id=registration.pk,
        gate=gate,
        nonce=nonce,
        device=device,
        user=user,
        now=now,
    )


def excuse_absence(
    *,
    registration_id: int,
    session_id: int,
    reason: str,
    by: AbstractBaseUser,
) -> Excusal:
    """Record (or correct the reason of) an excused absence; the reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the excused absence.")})
    registration = Registration.objects.get(pk=registration_id)
    session = Session.objects.get(pk=session_id)
    if session.event_id != registration.event_id:
        raise ValidationError(_("The session belongs to another event."))
    excusal, _created = Excusal.objects.update_or_create(
        registration=registration,
        session=session,
        defaults={"reason": reason[:200], "recorded_by": by},
    )
    refresh_summary_on_commit(event_id=registration.event_id)  # completion changes
    return excusal


def withdraw_excusal(*, registration_id: int, session_id: int) -> bool:
    deleted, _by_model = Excusal.objects.filter(
        registration_id=registration_id, session_id=session_id
    ).delete()
    if deleted:
        refresh_summary_on_commit(
            event_id=Session.objects.values_list("event_id", flat=True).get(pk=session_id)
        )
    return bool(deleted)


def create_scanner_device(
    *, event_id: int, label: str, by: AbstractBaseUser | None
) -> tuple[ScannerDevice, str]:
    """A device allowed to scan at one event. Returns the device and its token, which is shown
    once and never stored: only its SHA-256 is."""
    token = base64.b32encode(secrets.token_bytes(DEVICE_TOKEN_BYTES)).decode("ascii")
    device = ScannerDevice.objects.create(
        event_id=event_id,
        label=label.strip()[:60],
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        created_by=by,
    )
    return device, token


def revoke_scanner_device(*, device_id: int, now: datetime.datetime | None = None) -> bool:
    """Revoke a device (idempotent); its next request is refused with 401 (with a per-process
    cache, requests to other processes within selectors.SCAN_CACHE_SECONDS)."""
    now = now or timezone.now()
    revoked = ScannerDevice.objects.filter(pk=device_id, revoked_at__isnull=True).update(
        revoked_at=now
    )
    token_hash = ScannerDevice.objects.filter(pk=device_id).values_list("token_hash", flat=True)
    cache.delete_many([selectors.device_cache_key(digest) for digest in token_hash])
    return bool(revoked)


def authenticate_device(
    *, token: str, now: datetime.datetime | None = None
) -> ScannerDevice | None:
    """The live device for a bearer token, or None (unknown or revoked). Notes when it was last
    used, at most once a minute so that scanning does not write the device row every time."""
    now = now or timezone.now()
    device = selectors.device_for_token(token=token)
    if device is None or device.revoked_at is not None:
        return None
    if device.last_used_at is None or now - device.last_used_at > DEVICE_TOUCH_INTERVAL:
        ScannerDevice.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
        # Else the cached row, still with the old time, would touch it again at every request.
        cache.set(
            selectors.device_cache_key(device.token_hash), device, selectors.SCAN_CACHE_SECONDS
        )
    return device
