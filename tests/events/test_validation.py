import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import uscc

from events.models import Employer, EventKind
from events.validators import normalise_credit_code, validate_credit_code
from tests.factories import (
    EmployerFactory,
    EventFactory,
    JobListingFactory,
    credit_code,
    shanghai,
)

# Published examples; each is checked against python-stdnum before the tests rely on it.
REAL_CODES = ["91110000600037341L", "91110108551385082Q", "91440300708461136T"]
GENERATED_CODES = [credit_code(n) for n in (1, 42, 9_999_999)] + [
    # Other registering authorities and entity types, organisation codes with letters.
    body + uscc.calc_check_digit(body)
    for body in ("9145010077AB0123X", "12450100MB1234567", "5245010005UKYHN0Q")
]


@pytest.mark.parametrize("code", REAL_CODES + GENERATED_CODES)
def test_valid_credit_codes_pass(code):
    assert uscc.is_valid(code), "fixture code must itself be valid"
    validate_credit_code(code)


def _wrong_check_digit(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:-1] + next(c for c in alphabet if c != code[-1])


@pytest.mark.parametrize(
    "code",
    [
        _wrong_check_digit("91110000600037341L"),
        _wrong_check_digit(credit_code(7)),
        "91110000600037341",  # 17 characters
        "91110000600037341LL",  # 19 characters
        "",
        "A1110000600037341L",  # the first eight must be digits
        # The letters I, O, Z, S and V are never used.
        *[f"91450100MA{letter}0000010" for letter in "IOZSV"],
    ],
)
def test_invalid_credit_codes_raise_with_a_message(code):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "invalid_credit_code"
    message = error.value.messages[0]
    assert code in message
    assert "credit code" in message or "信用代码" in message


@pytest.mark.django_db
def test_employer_full_clean_rejects_bad_code_and_normalises_good_one():
    employer = EmployerFactory.build(credit_code="91110000600037341X")
    with pytest.raises(ValidationError) as error:
        employer.full_clean()
    assert "credit_code" in error.value.message_dict

    employer = EmployerFactory.build(credit_code="9111 0000 6000 3734 1l")
    employer.clean()
    assert employer.credit_code == "91110000600037341L"
    assert normalise_credit_code(" 91110000-600037341l ") == "91110000600037341L"


@pytest.mark.django_db
def test_employer_credit_code_is_unique():
    EmployerFactory(credit_code="91110000600037341L")
    duplicate = EmployerFactory.build(credit_code="91110000600037341L")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "credit_code" in error.value.message_dict
    assert Employer.objects.count() == 1


@pytest.mark.django_db
def test_job_listing_salary_range_and_validity_period():
    job = JobListingFactory.build(employer=EmployerFactory(), salary_min=8000, salary_max=5000)
    with pytest.raises(ValidationError) as error:
        job.clean()
    assert list(error.value.message_dict) == ["salary_max"]

    job = JobListingFactory.build(
        employer=EmployerFactory(),
        valid_from=datetime.date(2026, 3, 10),
        valid_until=datetime.date(2026, 3, 9),
    )
    with pytest.raises(ValidationError) as error:
        job.clean()
    assert list(error.value.message_dict) == ["valid_until"]

    job = JobListingFactory.build(
        employer=EmployerFactory(),
        salary_min=5000,
        salary_max=5000,
        valid_from=datetime.date(2026, 3, 10),
        valid_until=datetime.date(2026, 3, 10),
    )
    job.clean()  # equal bounds are fine


@pytest.mark.django_db
def test_job_listing_needs_at_least_one_opening():
    job = JobListingFactory.build(employer=EmployerFactory(), headcount=0)
    with pytest.raises(ValidationError) as error:
        job.full_clean()
    assert "headcount" in error.value.message_dict


def _event(**kwargs):
    defaults = {
        "starts_at": shanghai(2026, 3, 10, 9),
        "ends_at": shanghai(2026, 3, 10, 17),
    }
    return EventFactory.build(**{**defaults, **kwargs})


@pytest.mark.django_db
def test_event_cannot_end_before_it_starts():
    with pytest.raises(ValidationError) as error:
        _event(ends_at=shanghai(2026, 3, 10, 8)).full_clean()
    assert "ends_at" in error.value.message_dict


@pytest.mark.django_db
def test_registration_must_close_before_the_event_ends():
    with pytest.raises(ValidationError) as error:
        _event(registration_closes_at=shanghai(2026, 3, 10, 18)).full_clean()
    assert "registration_closes_at" in error.value.message_dict

    _event(registration_closes_at=shanghai(2026, 3, 10, 12)).full_clean()


@pytest.mark.django_db
def test_registration_cannot_close_before_it_opens():
    with pytest.raises(ValidationError) as error:
        _event(
            registration_opens_at=shanghai(2026, 3, 5, 9),
            registration_closes_at=shanghai(2026, 3, 4, 9),
        ).full_clean()
    assert "registration_closes_at" in error.value.message_dict

    _event(
        registration_opens_at=shanghai(2026, 3, 1, 9),
        registration_closes_at=shanghai(2026, 3, 9, 18),
    ).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_positive(capacity):
    with pytest.raises(ValidationError) as error:
        _event(capacity=capacity).full_clean()
    assert "capacity" in error.value.message_dict


@pytest.mark.django_db
def test_capacity_may_be_empty_for_no_limit():
    _event(capacity=None).full_clean()
    _event(capacity=1).full_clean()


@pytest.mark.django_db
def test_training_needs_a_trade():
    with pytest.raises(ValidationError) as error:
        _event(kind=EventKind.TRAINING, trade="").full_clean()
    assert "trade" in error.value.message_dict

    _event(kind=EventKind.TRAINING, trade="焊工").full_clean()
    _event(kind=EventKind.JOB_FAIR, trade="").full_clean()
