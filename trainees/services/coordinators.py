"""Coordinators registering and correcting workers on the workers' behalf, within their regions."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from trainees import id_numbers
from trainees.models import Provenance, Region, Worker
from trainees.phones import normalise_mobile
from trainees.selectors import code_in_scope, scope_prefixes
from trainees.services.identity import (
    WorkerDetails,
    apply_id_number,
    check_not_duplicate,
    create_worker,
)


def ensure_in_scope(*, user: AbstractBaseUser, region: Region | None) -> None:
    """Refuse a region outside the user's villages: forms only offer those, this is the backstop."""
    prefixes = scope_prefixes(user=user)
    if prefixes is None:
        return
    if region is None or not code_in_scope(region.code, prefixes=prefixes):
        raise PermissionDenied


def register_worker(
    *,
    details: WorkerDetails,
    education: str = "",
    employment_status: str = "",
    consent_method: str,
    registered_by: AbstractBaseUser,
) -> Worker:
    """A coordinator registers a worker who is present or on the phone (provenance ASSISTED)."""
    ensure_in_scope(user=registered_by, region=details.hukou_region)
    return create_worker(
        details=details,
        education=education,
        employment_status=employment_status,
        consent_method=consent_method,
        provenance=Provenance.ASSISTED,
        created_by=registered_by,
    )


def update_worker(
    *,
    worker: Worker,
    details: WorkerDetails,
    education: str,
    employment_status: str,
    changed_by: AbstractBaseUser,
) -> Worker:
    """Correct a worker's details. An empty `details.id_number` keeps the stored one; a new one
    replaces it. A phone or ID number of another worker raises DuplicateWorker."""
    ensure_in_scope(user=changed_by, region=worker.hukou_region)
    ensure_in_scope(user=changed_by, region=details.hukou_region)
    phone = normalise_mobile(details.phone)
    if details.id_number:
        id_numbers.parse(details.id_number)
    check_not_duplicate(phone=phone, id_number=details.id_number, exclude_pk=worker.pk)
    worker.name = details.name.strip()
    worker.phone = phone
    worker.hukou_region = details.hukou_region
    worker.education = education
    worker.employment_status = employment_status
    if details.id_number:
        apply_id_number(worker, details.id_number)
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError:
        # Someone registered the same phone or ID number meanwhile: report it like any duplicate.
        check_not_duplicate(phone=phone, id_number=details.id_number, exclude_pk=worker.pk)
        raise
    return worker
