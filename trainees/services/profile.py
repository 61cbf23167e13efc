"""A worker's own profile: creating and correcting it, special groups, and data rights.

The worker fills it in after signing in by SMS; the phone is always the proven one. Consents are
recorded as given (version, time, method); special groups exist only while their separate
consent holds (PIPL Art. 28-29).
"""

import base64
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from trainees import crypto, id_numbers
from trainees.models import (
    Consent,
    ConsentKind,
    ConsentMethod,
    PersonalDataAccess,
    Provenance,
    Region,
    SpecialGroup,
    Worker,
    WorkerSpecialGroup,
)
from trainees.selectors import has_current_privacy_consent, region_path
from trainees.services.identity import (
    PRIVACY_NOTICE_VERSION,
    SPECIAL_GROUPS_NOTICE_VERSION,
    DuplicateWorker,
    WorkerDetails,
    apply_id_number,
    check_not_duplicate,
    create_worker,
)

# Stated in the privacy notice (PIPL Art. 17, 19); the bureau confirms these numbers.
PROFILE_RETENTION_YEARS = 3
TRAINING_RECORD_RETENTION_YEARS = 5
DELETION_WORKING_DAYS = 15
# How long a typed ID number is carried, sealed, between two renders of the profile form.
CARRY_SECONDS = 60 * 60


def privacy_contact() -> dict[str, str]:
    """How to reach the bureau about personal data; settings.CHUNFENG_PRIVACY_CONTACT overrides
    the defaults (12333 is the national HR and social security service hotline)."""
    return {
        "hotline": "12333",
        "address": "",
        "email": "",
        **getattr(settings, "CHUNFENG_PRIVACY_CONTACT", {}),
    }


@dataclass(frozen=True)
class ProfileDetails:
    """What a worker tells about themselves; the ID number travels separately."""

    name: str
    hukou_region: Region | None = None
    residence: str = ""
    education: str = ""
    skills: str = ""
    certificates: str = ""
    intended_trade: str = ""
    intended_place: str = ""
    expected_pay: int | None = None
    employment_status: str = ""


def _apply_details(worker: Worker, details: ProfileDetails) -> None:
    for field in fields(ProfileDetails):
        value = getattr(details, field.name)
        setattr(worker, field.name, value.strip() if isinstance(value, str) else value)


def _parse_id(raw: str) -> id_numbers.IdFacts:
    try:
        return id_numbers.parse(raw)
    except ValidationError as error:
        raise ValidationError({"id_number": error.messages}, code=error.code) from error


def create_own_profile(
    *,
    user: AbstractBaseUser,
    phone: str,
    details: ProfileDetails,
    id_number: str = "",
    privacy_consent: bool,
) -> Worker:
    """Create the signed-in worker's record, with the privacy consent they just gave online.
    A phone or ID number already on file raises DuplicateWorker and creates nothing."""
    if not privacy_consent:
        raise ValidationError(
            {"privacy_consent": _("Tick the box to agree to the privacy notice.")},
            code="consent_required",
        )
    if id_number:
        _parse_id(id_number)
    with transaction.atomic():
        worker = create_worker(
            details=WorkerDetails(
                name=details.name,
                phone=phone,
                id_number=id_number,
                hukou_region=details.hukou_region,
            ),
            provenance=Provenance.SELF,
            created_by=user,
            consent_method=ConsentMethod.ONLINE,
            user=user,
        )
        _apply_details(worker, details)
        worker.save()
    return worker


def update_profile(*, worker: Worker, details: ProfileDetails, id_number: str = "") -> Worker:
    """Save corrections. A new ID number is validated, checked against every other worker,
    re-encrypted and its derived facts re-read; an empty one keeps the stored number."""
    with transaction.atomic():
        if id_number:
            facts = _parse_id(id_number)
            check_not_duplicate(phone=worker.phone, id_number=facts.number, exclude_pk=worker.pk)
            apply_id_number(worker, facts.number)
        _apply_details(worker, details)
        try:
            with transaction.atomic():
                worker.save()
        except IntegrityError:
            # Another record took the same number in the meantime: say so like any duplicate.
            check_not_duplicate(phone=worker.phone, id_number=id_number, exclude_pk=worker.pk)
            raise
    return worker


def record_privacy_consent(
    *,
    worker: Worker,
    method: str = ConsentMethod.ONLINE,
    recorded_by: AbstractBaseUser | None = None,
) -> Consent:
    """Record acceptance of the notice as it reads now (after the text changed, for example)."""
    return Consent.objects.create(
        worker=worker,
        kind=ConsentKind.PRIVACY_NOTICE,
        text_version=PRIVACY_NOTICE_VERSION,
        method=method,
        recorded_by=recorded_by,
    )


def set_special_groups(
    *,
    worker: Worker,
    consent: bool,
    groups: Iterable[str],
    method: str = ConsentMethod.ONLINE,
    recorded_by: AbstractBaseUser | None = None,
) -> None:
    """Store the worker's special groups under their separate consent.

    Without consent no group is kept: withdrawing deletes every WorkerSpecialGroup row and
    marks the consent withdrawn. Groups given without consent are refused, not dropped.
    """
    chosen = set(groups)
    unknown = chosen - set(SpecialGroup.values)
    if unknown:
        raise ValidationError({"special_groups": _("Unknown group.")}, code="invalid_choice")
    if chosen and not consent:
        raise ValidationError(
            {
                "special_groups": _(
                    "Tick the box that allows us to keep this information, or untick the groups."
                )
            },
            code="special_groups_consent_required",
        )
    now = timezone.now()
    with transaction.atomic():
        active = Consent.objects.filter(
            worker=worker, kind=ConsentKind.SPECIAL_GROUPS, withdrawn_at__isnull=True
        )
        if not consent:
            WorkerSpecialGroup.objects.filter(worker=worker).delete()
            active.update(withdrawn_at=now)
            return
        if not active.filter(text_version=SPECIAL_GROUPS_NOTICE_VERSION).exists():
            Consent.objects.create(
                worker=worker,
                kind=ConsentKind.SPECIAL_GROUPS,
                text_version=SPECIAL_GROUPS_NOTICE_VERSION,
                method=method,
                recorded_by=recorded_by,
            )
        WorkerSpecialGroup.objects.filter(worker=worker).exclude(group__in=chosen).delete()
        for group in sorted(chosen):
            WorkerSpecialGroup.objects.get_or_create(worker=worker, group=group)


@dataclass(frozen=True)
class OwnProfileSubmission:
    details: ProfileDetails
    id_number: str
    privacy_consent: bool
    special_groups_consent: bool
    special_groups: tuple[str, ...]


def save_own_profile(
    *,
    user: AbstractBaseUser,
    phone: str,
    worker: Worker | None,
    submission: OwnProfileSubmission,
) -> Worker:
    """Create or update the signed-in worker's profile and special groups in one transaction."""
    with transaction.atomic():
        if worker is None:
            try:
                with transaction.atomic():
                    saved = create_own_profile(
                        user=user,
                        phone=phone,
                        details=submission.details,
                        id_number=submission.id_number,
                        privacy_consent=submission.privacy_consent,
                    )
            except DuplicateWorker as error:
                # A double tap on "Save": the first request already created this user's record.
                if error.existing.user_id != user.pk:
                    raise
                worker = error.existing
        if worker is not None:
            saved = update_profile(
                worker=worker, details=submission.details, id_number=submission.id_number
            )
            if submission.privacy_consent and not has_current_privacy_consent(worker=saved):
                record_privacy_consent(worker=saved)
        set_special_groups(
            worker=saved,
            consent=submission.special_groups_consent,
            groups=submission.special_groups,
        )
    return saved


# Other apps (registrations, check-ins, classes) add their part of a worker's data download
# here from their AppConfig.ready(), since trainees may not import them.
ExportSection = Callable[[Worker], Any]
_export_sections: dict[str, ExportSection] = {}


def register_export_section(name: str, producer: ExportSection) -> None:
    _export_sections[name] = producer


def _choice(value: str, label: str) -> dict[str, str] | None:
    return {"code": value, "label": str(label)} if value else None


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return value.isoformat()


def export_worker_data(*, worker: Worker, actor: AbstractBaseUser) -> dict[str, Any]:
    """Everything stored about the worker, for their own download (PIPL Art. 45). The ID number
    is included in full, being theirs; the download is written to the audit log."""
    origin = (
        Region.objects.filter(code=worker.origin_county_code).first()
        if worker.origin_county_code
        else None
    )
    user = worker.user
    data: dict[str, Any] = {
        "exported_at": _iso(timezone.now()),
        "privacy_notice_version": PRIVACY_NOTICE_VERSION,
        "worker": {
            "name": worker.name,
            "phone": worker.phone,
            "id_number": crypto.decrypt(worker.id_number_encrypted)
            if worker.id_number_encrypted
            else "",
            "birth_date": _iso(worker.birth_date),
            "sex": _choice(worker.sex, worker.get_sex_display()),
            "id_issuing_county": {"code": worker.origin_county_code, "name": origin.name}
            if origin
            else worker.origin_county_code or None,
            "household_registration": [
                {"code": region.code, "name": region.name}
                for region in region_path(region=worker.hukou_region)
            ],
            "residence": worker.residence,
            "education": _choice(worker.education, worker.get_education_display()),
            "skills": worker.skills,
            "certificates": worker.certificates,
            "wanted_job": worker.intended_trade,
            "wanted_place_of_work": worker.intended_place,
            "expected_monthly_pay_yuan": worker.expected_pay,
            "employment_status": _choice(
                worker.employment_status, worker.get_employment_status_display()
            ),
            "recorded": _choice(worker.provenance, worker.get_provenance_display()),
            "recorded_at": _iso(worker.created_at),
            "updated_at": _iso(worker.updated_at),
            "deletion_requested_at": _iso(worker.deletion_requested_at),
        },
        "special_groups": [
            _choice(row.group, row.get_group_display())
            for row in worker.special_groups.order_by("group")
        ],
        "consents": [
            {
                "kind": _choice(consent.kind, consent.get_kind_display()),
                "text_version": consent.text_version,
                "method": _choice(consent.method, consent.get_method_display()),
                "given_at": _iso(consent.given_at),
                "withdrawn_at": _iso(consent.withdrawn_at),
            }
            for consent in worker.consents.order_by("given_at")
        ],
        "sign_in_account": {
            "username": user.get_username(),
            "created_at": _iso(user.date_joined),
            "last_sign_in": _iso(user.last_login),
        }
        if user
        else None,
        # Who looked at what is the worker's to know; staff names stay out.
        "accesses_to_my_data": [
            {"action": _choice(row.action, row.get_action_display()), "at": _iso(row.created_at)}
            for row in PersonalDataAccess.objects.filter(worker=worker).order_by("created_at")
        ],
    }
    for name, producer in _export_sections.items():
        data[name] = producer(worker)
    PersonalDataAccess.objects.create(
        actor=actor,
        worker=worker,
        action=PersonalDataAccess.Action.OWN_DATA_DOWNLOAD,
        detail="JSON",
    )
    return data


def request_deletion(*, worker: Worker, actor: AbstractBaseUser) -> Worker:
    """Record the worker's request to delete their data; the bureau acts on it within
    DELETION_WORKING_DAYS working days. Asking twice keeps the first date and one audit row."""
    with transaction.atomic():
        updated = Worker.objects.filter(pk=worker.pk, deletion_requested_at__isnull=True).update(
            deletion_requested_at=timezone.now()
        )
        if updated:
            PersonalDataAccess.objects.create(
                actor=actor,
                worker=worker,
                action=PersonalDataAccess.Action.DELETION_REQUEST,
            )
    worker.refresh_from_db(fields=["deletion_requested_at"])
    return worker


def _carry_fernet() -> Fernet:
    # Derived from SECRET_KEY and kept apart from the at-rest ID keys: a sealed value in a form
    # can never be swapped for a stored ciphertext.
    raw = salted_hmac("chunfeng.profile.id-carry", "fernet", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def seal_id_number(*, number: str, user_id: int) -> str:
    """An opaque token that carries a typed, valid ID number to the next render of the form,
    so it is never echoed back to the browser in clear and the worker need not type it again."""
    return _carry_fernet().encrypt(f"{user_id}:{number}".encode()).decode()


def unseal_id_number(*, token: str, user_id: int) -> str:
    """The number sealed for this user, or "" for a token that is foreign, altered or old."""
    try:
        value = _carry_fernet().decrypt(token.encode(), ttl=CARRY_SECONDS).decode()
    except (InvalidToken, ValueError, UnicodeDecodeError):
        return ""
    owner, _sep, number = value.partition(":")
    return number if owner == str(user_id) else ""
