"""Creating workers and protecting their ID numbers."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trainees import crypto, id_numbers
from trainees.models import (
    Consent,
    ConsentKind,
    ConsentMethod,
    PersonalDataAccess,
    Provenance,
    Region,
    Worker,
)
from trainees.phones import normalise_mobile

PRIVACY_NOTICE_VERSION = "2026-01"
SPECIAL_GROUPS_NOTICE_VERSION = "2026-01"


class DuplicateWorker(ValidationError):
    """A worker with this phone or ID number exists; `existing` says who, for a way forward."""

    def __init__(self, message: str, *, field: str, existing: Worker):
        super().__init__({field: message}, code="duplicate")
        self.existing = existing


@dataclass(frozen=True)
class WorkerDetails:
    name: str
    phone: str
    id_number: str = ""
    hukou_region: Region | None = None


@dataclass(frozen=True)
class NewWorker:
    """A worker to create: who they are, the profile answers given, how they consented."""

    details: WorkerDetails
    consent_method: str
    education: str = ""
    employment_status: str = ""


def apply_id_number(worker: Worker, raw: str) -> None:
    """Validate and set the encrypted ID number and what it encodes; the full number is not kept
    in clear anywhere on the model."""
    facts = id_numbers.parse(raw)
    worker.id_number_encrypted = crypto.encrypt(facts.number)
    worker.id_number_hmac = crypto.lookup_hmac(facts.number)
    worker.id_number_masked = id_numbers.mask(facts.number)
    worker.birth_date = facts.birth_date
    worker.sex = facts.sex
    worker.origin_county_code = facts.county_code


def find_worker(*, phone: str = "", id_number: str = "") -> Worker | None:
    """The worker with this phone or this ID number, if any."""
    if id_number:
        worker = Worker.objects.filter(
            id_number_hmac=crypto.lookup_hmac(id_numbers.normalise(id_number))
        ).first()
        if worker:
            return worker
    if phone:
        return Worker.objects.filter(phone=phone).first()
    return None


def check_not_duplicate(*, phone: str, id_number: str, exclude_pk: int | None = None) -> None:
    others = Worker.objects.exclude(pk=exclude_pk) if exclude_pk else Worker.objects.all()
    if id_number:
        existing = others.filter(
            id_number_hmac=crypto.lookup_hmac(id_numbers.normalise(id_number))
        ).first()
        if existing:
            raise DuplicateWorker(
                _(
                    "This ID number is already registered. Sign in with the phone number used then, or ask your village coordinator for help."
                ),
                field="id_number",
                existing=existing,
            )
    existing = others.filter(phone=phone).first()
    if existing:
        raise DuplicateWorker(
            _("This phone number is already registered. Sign in with it instead."),
            field="phone",
            existing=existing,
        )


def create_worker(
    *,
    details: WorkerDetails,
    provenance: str,
    created_by: AbstractBaseUser | None,
    consent_method: str,
    education: str = "",
    employment_status: str = "",
    user: AbstractBaseUser | None = None,
) -> Worker:
    """Create one worker with the privacy-notice consent that allows it. One worker per phone and
    per ID number: a duplicate raises DuplicateWorker, never a second record."""
    new = NewWorker(details, consent_method, education, employment_status)
    phone = normalise_mobile(details.phone)
    if details.id_number:
        id_numbers.parse(details.id_number)
    check_not_duplicate(phone=phone, id_number=details.id_number)
    worker = _unsaved_worker(new, provenance=provenance, created_by=created_by, user=user)
    try:
        with transaction.atomic():
            worker.save()
            _privacy_consent(worker, new, provenance=provenance, created_by=created_by).save()
    except IntegrityError:
        # Someone else created the same person in the meantime: report it like any duplicate.
        check_not_duplicate(phone=phone, id_number=details.id_number)
        raise
    return worker


def create_workers(
    *,
    new: Sequence[NewWorker],
    provenance: str,
    created_by: AbstractBaseUser,
    batch_size: int = 500,
) -> list[Worker]:
    """Many workers and their consents in two bulk inserts, for a roster import: 5,000 take
    seconds where create_worker's round trips per worker add up to a minute. The caller has
    found no duplicates among them; one that slips in meanwhile raises IntegrityError (inside
    the caller's transaction, so nothing is half-created)."""
    workers = [_unsaved_worker(one, provenance=provenance, created_by=created_by) for one in new]
    Worker.objects.bulk_create(workers, batch_size=batch_size)
    Consent.objects.bulk_create(
        (
            _privacy_consent(worker, one, provenance=provenance, created_by=created_by)
            for worker, one in zip(workers, new, strict=True)
        ),
        batch_size=batch_size,
    )
    return workers


def _unsaved_worker(
    new: NewWorker,
    *,
    provenance: str,
    created_by: AbstractBaseUser | None,
    user: AbstractBaseUser | None = None,
) -> Worker:
    worker = Worker(
        name=new.details.name.strip(),
        phone=normalise_mobile(new.details.phone),
        hukou_region=new.details.hukou_region,
        education=new.education,
        employment_status=new.employment_status,
        provenance=provenance,
        created_by=created_by,
        user=user,
    )
    if new.details.id_number:
        apply_id_number(worker, new.details.id_number)
    return worker


def _privacy_consent(
    worker: Worker, new: NewWorker, *, provenance: str, created_by: AbstractBaseUser | None
) -> Consent:
    return Consent(
        worker=worker,
        kind=ConsentKind.PRIVACY_NOTICE,
        text_version=PRIVACY_NOTICE_VERSION,
        method=new.consent_method,
        # A worker signing up themselves records their own consent.
        recorded_by=created_by if provenance != Provenance.SELF else None,
    )


def reveal_id_number(*, worker: Worker, actor: AbstractBaseUser, reason: str) -> str:
    """The full ID number, for roles allowed to see it; every call is written to the audit log."""
    if not actor.has_perm("trainees.view_full_id_number"):
        raise PermissionDenied
    if not worker.id_number_encrypted:
        return ""
    PersonalDataAccess.objects.create(
        actor=actor,
        worker=worker,
        action=PersonalDataAccess.Action.VIEW_FULL_ID,
        detail=reason[:200],
    )
    return crypto.decrypt(worker.id_number_encrypted)


__all__ = [
    "ConsentMethod",
    "DuplicateWorker",
    "WorkerDetails",
    "create_worker",
    "find_worker",
    "reveal_id_number",
]
