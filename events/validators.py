from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumValidationError


def validate_credit_code(value: str) -> None:
    """统一社会信用代码 (GB 32100-2015), checked with python-stdnum including the check digit."""
    try:
        uscc.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _(
                "“%(value)s” is not a valid unified social credit code (18 characters with a correct check digit)."
            ),
            code="invalid_credit_code",
            params={"value": value},
        ) from error


def normalise_credit_code(value: str) -> str:
    return uscc.compact(value)
