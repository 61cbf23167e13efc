"""Registration writes: register, cancel, restore, reminders.

Capacity is enforced write-first (docs: engineering.md section 4): a seat is taken by the
conditional UPDATE `seats_taken = seats_taken + 1 WHERE seats_taken < capacity`, which is correct
on PostgreSQL (row lock, re-checked after a wait) and on SQLite (one writer at a time), and the
database's CheckConstraint refuses anything above capacity whatever the code does. Every status
change of a registration locks its event row first, in the same order everywhere, so cancellations
and promotions are serialised per event and cannot deadlock with each other.

SMS go through the outbox (trainees.services.messaging.queue_sms) inside the same transaction as
the change they announce: a rolled-back registration never sends a message.
"""

import datetime
import enum
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events import tickets
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.selectors import region_covers, waitlist_position
from trainees.models import OutboundMessage, SpecialGroup, Worker, WorkerSpecialGroup
from trainees.services.messaging import queue_sms

REMINDER_WINDOW = (datetime.timedelta(hours=24), datetime.timedelta(hours=48))


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


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


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
        age = age_on(worker.birth_date, timezone.localdate(event.starts_at))
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
        if not region_covers(region_code=region.code, hukou_code=worker.hukou_region.code):
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


# Registering -------------------------------------------------------------------------------------


def register(
    *,
    event_id: int,
    worker_id: int,
    channel: str,
    created_by: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
) -> RegistrationResult:
    """Register a worker: confirmed while seats last, then waitlisted (or refused when the event
    has no waiting list). Registering twice returns the first registration; a cancelled one is
    reactivated through the same seat check. Raises RegistrationRefused with the reason."""
    now = now or timezone.now()
    mine = Registration.objects.filter(event_id=OuterRef("pk"), worker_id=worker_id)
    event = (
        Event.objects.select_related("eligible_region")
        .annotate(
            existing_id=Subquery(mine.values("pk")[:1]),
            existing_status=Subquery(mine.values("status")[:1]),
        )
        .filter(pk=event_id)
        .first()
    )
    if event is not None and event.existing_id:
        if event.existing_status != RegistrationStatus.CANCELLED:
            existing = Registration.objects.get(pk=event.existing_id)
            return _result(existing, RegistrationOutcome.ALREADY_REGISTERED)
    check_window(event=event, now=now)
    worker = Worker.objects.select_related("hukou_region").get(pk=worker_id)
    check_eligibility(event=event, worker=worker)
    existing = Registration.objects.get(pk=event.existing_id) if event.existing_id else None
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
    except IntegrityError:
        # The same worker registered in another request at the same moment (the unique
        # constraint on event and worker): ours is rolled back, seat included.
        registration = Registration.objects.filter(event_id=event_id, worker_id=worker_id).first()
        if registration is None:
            raise
        return _result(registration, RegistrationOutcome.ALREADY_REGISTERED)
    except _NothingToDo:
        registration = Registration.objects.get(pk=existing.pk)
        return _result(registration, RegistrationOutcome.ALREADY_REGISTERED)


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
                kind="reg-confirm",
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
                    raise RegistrationRefused(
                        _("All %(count)s places are taken and this event has no waiting list.")
                        % {"count": self.event.capacity},
                        code="full",
                    )
                registration = self._write(RegistrationStatus.CONFIRMED)
                _notify_place(registration, now=self.now)
                return _result(registration, RegistrationOutcome.CONFIRMED, position=None)
            registration = self._write(RegistrationStatus.WAITLISTED)
            position = waitlist_position(registration=registration)
            message = _sms(
                registration,
                kind="reg-waitlist",
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
    # One message per state change: the microsecond of the change tells two apart.
    stamp = int(now.timestamp() * 1_000_000)
    return queue_sms(
        phone=registration.worker.phone,
        kind=kind,
        body=body,
        dedupe_key=f"{kind}:{registration.pk}:{stamp}",
    )


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
        _sms(registration, kind="reg-confirm", body=_confirmation_text(registration), now=now)
    else:
        _sms(registration, kind="reg-waitlist", body=_waitlist_text(registration), now=now)


def _confirmation_text(registration: Registration) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Spring Breeze Action: you are registered for %(event)s, %(when)s, at %(place)s. "
            "Ticket code %(code)s; show the QR code under My registrations at the entrance."
        ) % _facts(registration)


def _waitlist_text(registration: Registration, *, position: int | None = None) -> str:
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
