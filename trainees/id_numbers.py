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


def parse(value: str) -> IdFacts:
    """Validate an 18-character ID number (check digit, birth date) and read what it encodes."""
    number = normalise(value)
    try:
        ric.validate(number)
    except StdnumValidationError as error:
        raise ValidationError(
            _("This is not a valid ID number: check the 18 characters and the last digit."),
            code="invalid_id_number",
        ) from error
    if len(number) != 18:
        raise ValidationError(_("Use the 18-character ID number."), code="old_id_number")
    return IdFacts(
        number=number,
        birth_date=ric.get_birth_date(number),
        sex=Sex.MALE if int(number[16]) % 2 else Sex.FEMALE,
        county_code=number[:6] + "000000",
    )


def mask(number: str) -> str:
    """450102********1234: the issuing county and the last four, nothing that dates a person."""
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else ""
