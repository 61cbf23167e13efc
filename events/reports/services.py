"""Writes for statistics (docs/statistics.md): what organisers record on and after the day
(employers present, figures entered by hand, job intentions, assessments), subsidy claims filed
by officers, the per-event summaries the campaign overview adds up, export jobs and the
statistics API's client tokens.

Every recording that changes an event's counted figures refreshes that event's summary in the
same transaction, so the campaign overview never shows a figure older than the last correction;
registrations and scans do not (they are the hot paths), beat refreshes events in play instead.
"""

import datetime
import hashlib
import logging
import secrets
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events import selectors as event_selectors
from events.models import (
    Assessment,
    AssessmentOutcome,
    Booth,
    BoothStatus,
    EmployerCheckIn,
    Event,
    EventSummary,
    ExportJob,
    ExportStatus,
    Intention,
    JobListing,
    ManualFigure,
    ManualFigureKind,
    Registration,
    RegistrationStatus,
    StatisticsClient,
    SubsidyClaim,
)
from events.reports import selectors, sheets, writers
from trainees.models import PersonalDataAccess
from trainees.phones import normalise_mobile

logger = logging.getLogger(__name__)

# Summaries of events whose registration or day is near are refreshed by beat every few minutes.
ACTIVE_BEFORE = datetime.timedelta(days=45)
ACTIVE_AFTER = datetime.timedelta(days=14)  # late corrections: excusals, scans from offline phones
EXPORT_RETENTION = datetime.timedelta(days=1)
EXPORT_REQUEUE_AFTER = datetime.timedelta(minutes=2)
EXPORT_GIVE_UP_AFTER = datetime.timedelta(minutes=40)  # past run_export_task's time limit
CLIENT_TOKEN_BYTES = 20
CLIENT_TOUCH_INTERVAL = datetime.timedelta(minutes=1)


# Summaries ---------------------------------------------------------------------------------------


def refresh_summaries(*, event_ids, now: datetime.datetime | None = None) -> int:
    """Recount these events' figures and store them (EventSummary). Idempotent; a fixed number
    of queries plus one write per event."""
    now = now or timezone.now()
    figures = selectors.event_figures(events=Event.objects.filter(pk__in=list(event_ids)), now=now)
    for event_id, counted in figures.items():
        # A count that started earlier but finishes later must not replace a newer one.
        if not EventSummary.objects.filter(event_id=event_id, computed_at__lt=now).update(
            figures=counted.as_dict(), computed_at=now
        ):
            EventSummary.objects.get_or_create(
                event_id=event_id, defaults={"figures": counted.as_dict(), "computed_at": now}
            )
    return len(figures)


def refresh_summary_on_commit(*, event_id: int) -> None:
    """Recount the event once the change being written has committed: counted inside the
    transaction, the summary would miss a colleague's change committed at the same moment."""
    transaction.on_commit(lambda: refresh_summaries(event_ids=[event_id]), robust=True)


def active_event_ids(*, now: datetime.datetime) -> list[int]:
    """Events whose figures can still change on their own: registration running, under way or
    just over (late scans from offline phones, corrections)."""
    return list(
        Event.objects.filter(
            starts_at__lte=now + ACTIVE_BEFORE, ends_at__gte=now - ACTIVE_AFTER
        ).values_list("pk", flat=True)
    )


def refresh_active_summaries(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    return refresh_summaries(event_ids=active_event_ids(now=now), now=now)


def summaries_for_overview(
    *, event_ids: list[int], now: datetime.datetime | None = None
) -> dict[int, selectors.Summary]:
    """The events' summaries, counting the ones never counted before first."""
    summaries = selectors.summaries_for(event_ids=event_ids)
    missing = [pk for pk in event_ids if pk not in summaries]
    if missing:
        refresh_summaries(event_ids=missing, now=now)
        summaries = selectors.summaries_for(event_ids=event_ids)
    return summaries


def queue_recount(*, filters: selectors.OverviewFilters) -> None:
    """ "Recount now": the village coverage is forgotten at once (counted again by the next
    overview), and the filtered events are recounted by a Celery worker once this commits."""
    from events.tasks import refresh_event_summaries_task

    cache.delete(selectors.coverage_cache_key(filters.county_code))
    event_ids = list(selectors.overview_events(filters=filters).values_list("pk", flat=True))
    transaction.on_commit(
        lambda: refresh_event_summaries_task.delay(event_ids=event_ids), robust=True
    )


def campaign_overview(
    *, filters: selectors.OverviewFilters, now: datetime.datetime | None = None
) -> selectors.Overview:
    """The overview of the filtered events, counting those never counted before first."""
    events = selectors.overview_event_rows(filters=filters)
    summaries = summaries_for_overview(event_ids=[event.pk for event in events], now=now)
    return selectors.campaign_overview(events=events, summaries=summaries, filters=filters, now=now)


# Employers present -------------------------------------------------------------------------------


def mark_employers_present(*, event_id: int, employer_ids: list[int], by: AbstractBaseUser) -> int:
    """Record that these employers came to their booths; already recorded ones are left as they
    are. Only employers with a booked booth at the fair count. Returns how many were added."""
    booked = set(
        Booth.objects.filter(event_id=event_id, employer_id__in=employer_ids)
        .exclude(status=BoothStatus.CANCELLED)
        .values_list("employer_id", flat=True)
    )
    present = set(
        EmployerCheckIn.objects.filter(event_id=event_id, employer_id__in=booked).values_list(
            "employer_id", flat=True
        )
    )
    added = sorted(booked - present)
    if added:
        with transaction.atomic():
            EmployerCheckIn.objects.bulk_create(
                [
                    EmployerCheckIn(event_id=event_id, employer_id=employer_id, recorded_by=by)
                    for employer_id in added
                ],
                ignore_conflicts=True,  # a colleague marking the same employer at that moment
            )
            refresh_summary_on_commit(event_id=event_id)
    return len(added)


def unmark_employer_present(*, event_id: int, employer_id: int) -> bool:
    with transaction.atomic():
        deleted, _by_model = EmployerCheckIn.objects.filter(
            event_id=event_id, employer_id=employer_id
        ).delete()
        if deleted:
            refresh_summary_on_commit(event_id=event_id)
    return bool(deleted)


# Figures entered by hand -------------------------------------------------------------------------


def enter_figure(
    *, event_id: int, kind: str, value: int, reason: str, by: AbstractBaseUser
) -> ManualFigure:
    """A new entry of a figure only people know; the earlier ones stay, with their reasons."""
    reason = (reason or "").strip()
    errors = {}
    if kind not in ManualFigureKind.values:
        errors["kind"] = _("Choose which figure this is.")
    if value is None or value < 0:
        errors["value"] = _("Enter a whole number, 0 or more.")
    if not reason:
        errors["reason"] = _("Say where the figure comes from, e.g. the leaflet register.")
    if errors:
        raise ValidationError(errors)
    return ManualFigure.objects.create(
        event_id=event_id, kind=kind, value=value, reason=reason[:200], entered_by=by
    )


# Job intentions ----------------------------------------------------------------------------------


def find_fair_registration(*, event_id: int, code: str) -> Registration:
    """The confirmed registration at this event for a ticket code (the QR's 26 characters or the
    10 under it, dashes and case ignored) or a mobile number. Raises ValidationError saying
    what is wrong."""
    raw = (code or "").strip()
    digits = raw.replace(" ", "").replace("-", "")
    registration = None
    if digits.isdigit():
        try:
            phone = normalise_mobile(digits)
        except ValidationError:
            raise ValidationError(
                {"code": _("Enter the 11-digit mobile number or the code under the QR code.")}
            ) from None
        registration = (
            Registration.objects.filter(event_id=event_id, worker__phone=phone)
            .select_related("worker")
            .first()
        )
    else:
        registration = event_selectors.registration_for_code(event_id=event_id, code=raw)
    if registration is None or registration.event_id != event_id:
        raise ValidationError(
            {"code": _("Nobody registered for this fair has this code or number.")}
        )
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(
            {
                "code": _("%(name)s has no confirmed place at this fair (%(status)s).")
                % {
                    "name": registration.worker.masked_name,
                    "status": registration.get_status_display(),
                }
            }
        )
    return registration


@dataclass(frozen=True)
class IntentionResult:
    intention: Intention
    created: bool


def record_intention(
    *,
    event_id: int,
    code: str,
    employer_id: int,
    job_id: int | None = None,
    by: AbstractBaseUser,
) -> IntentionResult:
    """达成意向 between a person at the fair and an employer with a booth there; recording the
    same pair again returns the first record (also when two organisers record it at once)."""
    registration = find_fair_registration(event_id=event_id, code=code)
    if (
        not Booth.objects.filter(event_id=event_id, employer_id=employer_id)
        .exclude(status=BoothStatus.CANCELLED)
        .exists()
    ):
        raise ValidationError({"employer": _("This employer has no booth at this fair.")})
    if (
        job_id is not None
        and not JobListing.objects.filter(
            pk=job_id, employer_id=employer_id, fairs=event_id, live=True
        ).exists()
    ):
        raise ValidationError({"job": _("Choose a job this employer offers at this fair.")})
    try:
        with transaction.atomic():
            intention = Intention.objects.create(
                event_id=event_id,
                registration=registration,
                employer_id=employer_id,
                job_id=job_id,
                recorded_by=by,
            )
            refresh_summary_on_commit(event_id=event_id)
    except IntegrityError:
        existing = Intention.objects.get(registration=registration, employer_id=employer_id)
        return IntentionResult(intention=existing, created=False)
    return IntentionResult(intention=intention, created=True)


def withdraw_intention(*, event_id: int, intention_id: int) -> bool:
    """Delete an intention recorded by mistake."""
    with transaction.atomic():
        deleted, _by_model = Intention.objects.filter(pk=intention_id, event_id=event_id).delete()
        if deleted:
            refresh_summary_on_commit(event_id=event_id)
    return bool(deleted)


# Assessments and subsidy claims ------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentEntry:
    registration_id: int
    outcome: str  # an AssessmentOutcome value, or "" for not assessed
    certificate_number: str
    # What the organiser's form showed: the outcome, the certificate number and the assessment's
    # recorded_at ("" for none). An entry equal to what was shown was not touched; a touched one
    # whose stored assessment changed since is someone else's change, refused, not overwritten.
    shown_outcome: str = ""
    shown_certificate: str = ""
    seen: str = ""


@dataclass(frozen=True)
class AssessmentResult:
    saved: int
    refused: list[tuple[Registration, str]]  # changed meanwhile, or its subsidy already filed


def record_assessments(
    *, event_id: int, entries: list[AssessmentEntry], by: AbstractBaseUser
) -> AssessmentResult:
    """Save the assessment outcomes of a class in one go. Raises ValidationError, saving
    nothing, when an entry is wrong (a certificate number without an outcome); refuses, per
    trainee, an entry someone changed meanwhile and any change once the subsidy is filed."""
    wanted = {}
    for entry in entries:
        outcome = entry.outcome if entry.outcome in AssessmentOutcome.values else ""
        certificate = entry.certificate_number.strip()[:60]
        if (outcome, certificate) != (entry.shown_outcome, entry.shown_certificate.strip()):
            wanted[entry.registration_id] = (entry, outcome, certificate)
    missing_outcome = [
        pk for pk, (_e, outcome, certificate) in wanted.items() if certificate and not outcome
    ]
    if missing_outcome:
        raise ValidationError(
            {
                f"outcome-{pk}": _("Choose the assessment result for a certificate number.")
                for pk in missing_outcome
            }
        )
    saved, refused = 0, []
    with transaction.atomic():
        # Locked: a subsidy officer filing for the same trainees waits, and sees the result.
        registrations = (
            Registration.objects.filter(
                event_id=event_id, pk__in=wanted, status=RegistrationStatus.CONFIRMED
            )
            .select_related("worker", "assessment", "subsidy_claim")
            .select_for_update(of=("self",))
        )
        for registration in registrations:
            entry, outcome, certificate = wanted[registration.pk]
            current = getattr(registration, "assessment", None)
            if hasattr(registration, "subsidy_claim"):
                refused.append((registration, _("The subsidy is filed: the assessment stays.")))
                continue
            if (current.recorded_at.isoformat() if current else "") != entry.seen:
                refused.append((registration, _("Someone else changed this assessment meanwhile.")))
                continue
            if not outcome:
                if current is not None:
                    current.delete()
            elif current is None:
                Assessment.objects.create(
                    registration=registration,
                    outcome=outcome,
                    certificate_number=certificate,
                    recorded_by=by,
                )
            else:
                current.outcome, current.certificate_number = outcome, certificate
                current.recorded_by = by
                current.save(
                    update_fields=["outcome", "certificate_number", "recorded_by", "recorded_at"]
                )
            saved += 1
    return AssessmentResult(saved=saved, refused=refused)


@dataclass(frozen=True)
class ClaimResult:
    filed: list[Registration]
    refused: list[tuple[Registration, str]]


def file_subsidy_claims(
    *,
    event_id: int,
    registration_ids: list[int],
    by: AbstractBaseUser,
    now: datetime.datetime | None = None,
) -> ClaimResult:
    """File the training subsidy for eligible trainees of a class (completed, passed, no
    subsidy this year). The unique (worker, year) constraint refuses a second claim in a year,
    also when two officers file at the same moment."""
    now = now or timezone.now()
    event = Event.objects.get(pk=event_id)
    attendance = selectors.class_attendance(events=[event], now=now)[event.pk]
    rows = {row.registration.pk: row for row in attendance.rows}
    filed, refused = [], []
    for registration_id in registration_ids:
        row = rows.get(registration_id)
        if row is None:
            continue
        if row.claim is not None:
            refused.append((row.registration, _("Already filed.")))
            continue
        if not row.eligible:
            refused.append((row.registration, _("Not eligible: %s") % row.eligibility_gap))
            continue
        try:
            with transaction.atomic():
                # Locked as record_assessments locks it: the assessment is read as it stands.
                list(Registration.objects.select_for_update().filter(pk=registration_id))
                if not Assessment.objects.filter(
                    registration_id=registration_id, outcome=AssessmentOutcome.PASSED
                ).exists():
                    refused.append(
                        (row.registration, _("Not eligible: %s") % _("assessment not passed"))
                    )
                    continue
                SubsidyClaim.objects.create(
                    registration=row.registration,
                    worker_id=row.registration.worker_id,
                    year=attendance.year,
                    filed_by=by,
                )
        except IntegrityError:
            refused.append(
                (
                    row.registration,
                    _("A subsidy was already filed for this person in %s.") % attendance.year,
                )
            )
            continue
        filed.append(row.registration)
    return ClaimResult(filed=filed, refused=refused)


# Exports -----------------------------------------------------------------------------------------


def export_request(
    *, kind: str, file_format: str, event: Event, user: AbstractBaseUser
) -> sheets.ExportRequest:
    if file_format not in sheets.formats_for(event=event).get(kind, ()):
        raise ValidationError(_("This export is not available for this event in this format."))
    return sheets.ExportRequest(
        kind=kind,
        file_format=file_format,
        event=event,
        full_id_numbers=selectors.may_see_full_id_numbers(user=user),
        special_groups=selectors.may_see_special_groups(user=user),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        rows=sheets.estimate_rows(kind=kind, event=event),
    )


def audit_export(*, request: sheets.ExportRequest, user: AbstractBaseUser, rows: int) -> None:
    """Every export leaves a PersonalDataAccess row: who, what, how many rows, whether full ID
    numbers were in it."""
    detail = f"{request.kind}.{request.file_format} · event {request.event.pk}"
    if request.full_id_numbers:
        detail += " · full ID numbers"
    PersonalDataAccess.objects.create(
        actor=user, action=PersonalDataAccess.Action.EXPORT, detail=detail[:200], rows=rows
    )


def is_large(*, request: sheets.ExportRequest) -> bool:
    return request.rows > settings.CHUNFENG_SYNC_EXPORT_ROWS


def write_export(
    *,
    request: sheets.ExportRequest,
    out: BinaryIO,
    now: datetime.datetime | None = None,
    progress: writers.Progress = None,
) -> tuple[str, int]:
    """The export's file into `out`, in the requester's language: (file name, rows written)."""
    with translation.override(request.language):
        document = sheets.build(request=request, now=now)
        rows = writers.write(document, file_format=request.file_format, out=out, progress=progress)
        return document.filename(request.file_format), rows


def export_now(*, request: sheets.ExportRequest, user: AbstractBaseUser, out: BinaryIO) -> str:
    """A small export written straight into the response, audited; returns the file name."""
    filename, rows = write_export(request=request, out=out)
    audit_export(request=request, user=user, rows=rows)
    return filename


def queue_export(*, request: sheets.ExportRequest, user: AbstractBaseUser) -> ExportJob:
    """A job for a Celery worker, handed over once the transaction commits; if the broker is
    down then, the sweeper hands it over later."""
    job = create_export_job(request=request, user=user)
    transaction.on_commit(lambda: _hand_over(job.pk), robust=True)
    return job


def create_export_job(*, request: sheets.ExportRequest, user: AbstractBaseUser) -> ExportJob:
    return ExportJob.objects.create(
        kind=request.kind,
        file_format=request.file_format,
        event=request.event,
        requested_by=user,
        full_id_numbers=request.full_id_numbers,
        special_groups=request.special_groups,
        language=request.language,
        rows_total=request.rows,
    )


def _hand_over(job_id: int, *, now: datetime.datetime | None = None) -> bool:
    """Give the job to the broker; when it is down, say so and leave the job to the sweeper."""
    from events.tasks import run_export_task

    ExportJob.objects.filter(pk=job_id).update(handed_over_at=now or timezone.now())
    try:
        run_export_task.delay(job_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper retries
        logger.warning("Export %s: the broker refused it; the sweeper will retry", job_id)
        return False
    return True


def run_export(*, job_id: int, now: datetime.datetime | None = None) -> bool:
    """Write a queued export (idempotent: only the worker that claims the job writes it).
    Returns whether this call wrote it."""
    now = now or timezone.now()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, rows_done=0, started_at=timezone.now()
    ):
        return False
    job = ExportJob.objects.select_related("event", "requested_by").get(pk=job_id)
    request = sheets.ExportRequest.for_job(job)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=rows)

    try:
        with tempfile.TemporaryFile() as scratch:
            filename, rows = write_export(request=request, out=scratch, now=now, progress=progress)
            scratch.seek(0)
            job.file.save(filename, File(scratch), save=False)
    except Exception as error:
        logger.exception("Export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, error=str(error)[:300], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        finished = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE,
            file=job.file.name,
            filename=filename,
            rows_done=rows,
            rows_total=rows,
            finished_at=timezone.now(),
        )
        if finished:
            audit_export(request=request, user=job.requested_by, rows=rows)
    if not finished:  # the sweeper gave up on it meanwhile: the file is nobody's
        job.file.delete(save=False)
    return bool(finished)


def sweep_exports(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Beat: hand over again jobs still waiting a while after their last hand-over (the broker
    was down, or lost them), give up on jobs whose worker died, and delete exports older than
    EXPORT_RETENTION with their files (they hold personal data)."""
    now = now or timezone.now()
    # Expired files first: they hold personal data, whatever happens to the rest of the sweep.
    expired = 0
    for job in ExportJob.objects.filter(created_at__lt=now - EXPORT_RETENTION):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        expired += 1
    expired += _delete_orphaned_export_files(before=now - EXPORT_RETENTION)
    waiting = list(
        ExportJob.objects.filter(status=ExportStatus.QUEUED)
        .filter(
            Q(handed_over_at__isnull=True, created_at__lt=now - EXPORT_REQUEUE_AFTER)
            | Q(handed_over_at__lt=now - EXPORT_REQUEUE_AFTER)
        )
        .values_list("pk", flat=True)
    )
    handed_over = sum(_hand_over(job_id, now=now) for job_id in waiting)
    stuck = ExportJob.objects.filter(
        status=ExportStatus.RUNNING, started_at__lt=now - EXPORT_GIVE_UP_AFTER
    ).update(status=ExportStatus.FAILED, error="interrupted", finished_at=now)
    return {"handed_over": handed_over, "failed": stuck, "deleted": expired}


def _delete_orphaned_export_files(*, before: datetime.datetime) -> int:
    """Files whose job row went without them (deleting an event or a user cascades to its
    exports, and a cascade does not delete files): gone once as old as any expired export."""
    storage = ExportJob._meta.get_field("file").storage
    deleted = 0
    years, _files = storage.listdir("") if storage.exists("") else ([], [])
    for year in years:
        for month in storage.listdir(year)[0]:
            folder = f"{year}/{month}"
            for name in storage.listdir(folder)[1]:
                path = f"{folder}/{name}"
                if storage.get_modified_time(path) < before:
                    storage.delete(path)
                    deleted += 1
    return deleted


# Statistics API clients --------------------------------------------------------------------------


def create_statistics_client(
    *, name: str, by: AbstractBaseUser | None
) -> tuple[StatisticsClient, str]:
    """A token for another system; shown once, only its SHA-256 is stored."""
    token = secrets.token_urlsafe(CLIENT_TOKEN_BYTES)
    client = StatisticsClient.objects.create(
        name=name.strip()[:100], token_hash=_digest(token), created_by=by
    )
    return client, token


def revoke_statistics_client(*, client_id: int, now: datetime.datetime | None = None) -> bool:
    return bool(
        StatisticsClient.objects.filter(pk=client_id, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
    )


def authenticate_statistics_client(
    *, token: str, now: datetime.datetime | None = None
) -> StatisticsClient | None:
    """The live client for a bearer token, or None; notes when it was last used (once a minute
    at most)."""
    if not token:
        return None
    now = now or timezone.now()
    client = StatisticsClient.objects.filter(
        token_hash=_digest(token), revoked_at__isnull=True
    ).first()
    if client is not None and (
        client.last_used_at is None or now - client.last_used_at > CLIENT_TOUCH_INTERVAL
    ):
        StatisticsClient.objects.filter(pk=client.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - CLIENT_TOUCH_INTERVAL)
        ).update(last_used_at=now)
    return client


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
