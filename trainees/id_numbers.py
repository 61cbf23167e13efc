"""Chinese resident ID numbers (居民身份证号码, GB 11643): validation, derived facts, masking."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from trainees.models import Sex


@dataclass(frozen=True)
class IdFacts:
    number: str
    birth_date: datetime.date
    sex: str
    county_code: str  # 12-digit statistical code of the county that issued it


def normalise(value: str) -> str:
    """Strip spaces and dashes anywhere and use an upper-case X check digit."""
    return "".join((value or "").replace("-", " ").split()).upper()


# Province-level prefixes of GB/T 2260 (the first two digits of every ID number).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82".split()
)


def parse(value: str) -> IdFacts:
    """Validate an 18-character ID number (province, birth date, check digit) and read what it
    encodes.

    python-stdnum's own validate() also looks the six-digit county up in its table, which lacks
    many current codes (宾阳县 450126, 西乡塘区 450107 ...): valid numbers of real people would
    be refused, so the county is not checked against it.
    """
    number = normalise(value)
    invalid = ValidationError(
        _("This is not a valid ID number: check the 18 characters and the last digit."),
        code="invalid_id_number",
    )
    if len(number) != 18:
        raise ValidationError(_("Use the 18-character ID number."), code="id_number_length")
    if not number[:17].isdigit() or number[:2] not in PROVINCE_PREFIXES:
        raise invalid
    if number[-1] != ric.calc_check_digit(number):
        raise invalid
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumValidationError as error:
        raise invalid from error
    return IdFacts(
        number=number,
        birth_date=birth_date,
        sex=Sex.MALE if int(number[16]) % 2 else Sex.FEMALE,
        county_code=number[:6] + "000000",
    )


def mask(number: str) -> str:
    """450102********1234: the issuing county and the last four, nothing that dates a person."""
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else ""


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Completed years of age on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
