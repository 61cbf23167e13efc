"""ID number parsing: real check digits, derived facts, and current county codes accepted."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from trainees.id_numbers import mask, parse


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize("county", ["450126", "450107", "450181", "450102"])
def test_numbers_from_current_nanning_counties_are_accepted(county):
    facts = parse(with_check_digit(county + "19900315241"))
    assert facts.birth_date == datetime.date(1990, 3, 15)
    assert facts.county_code == county + "000000"


def test_sex_comes_from_the_seventeenth_digit():
    assert parse(with_check_digit("45012619900315241")).sex == "M"
    assert parse(with_check_digit("45012619900315242")).sex == "F"


def test_a_lower_case_x_and_spaces_are_normalised():
    number = "11010519491231002X"
    assert parse(" 110105 19491231 002x ").number == number


@pytest.mark.parametrize(
    "value",
    [
        "450126199003152419",  # wrong check digit
        with_check_digit("45012619900230241"),  # 30 February
        with_check_digit("99012619900315241"),  # no such province
        "45012619900315241",  # 17 characters
        "",
    ],
)
def test_invalid_numbers_are_refused(value):
    with pytest.raises(ValidationError):
        parse(value)


def test_mask_keeps_the_county_and_the_last_four():
    assert mask("11010519491231002X") == "110105********002X"
