"""Chinese mobile numbers, validated with phonenumbers and stored as the 11 national digits."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalise_mobile(value: str) -> str:
    """'+86 138-0013-8000' -> '13800138000'; anything that is not a mainland mobile is refused."""
    try:
        number = phonenumbers.parse((value or "").strip(), "CN")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("Enter an 11-digit mobile number."), code="invalid_phone"
        ) from error
    mobile_types = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in mobile_types
    ):
        raise ValidationError(_("Enter an 11-digit mobile number."), code="invalid_phone")
    return str(number.national_number)
