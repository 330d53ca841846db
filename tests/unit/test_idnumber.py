"""Resident ID numbers (GB 11643-1999): checked at intake with their ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.idnumber import check_character, mask, validate
from app.errors import InvalidInput

TODAY = date(2026, 11, 26)
FAST = settings(max_examples=300, deadline=None)

WRONG_LENGTH = "身份证号须为 18 位，现为 {length} 位"
MALFORMED = "身份证号格式不对：前 17 位须为数字，最后一位为数字或 X"
NO_SUCH_DATE = "身份证号中的出生日期 {digits} 不存在"
IMPLAUSIBLE_DATE = "身份证号中的出生日期 {digits} 不合理"
WRONG_CHECK = "身份证号校验位不对，请核对是否抄错"


def reference_check(first_17: str) -> str:
    """Written from the standard, not from the module: weight of position i (counted from the right, the check
    character being position 1) is 2^(i-1) mod 11; the check value is (12 - sum mod 11) mod 11, 10 written X."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first_17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def with_check(first_17: str) -> str:
    return first_17 + reference_check(first_17)


def rejection(raw: str, today: date = TODAY) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate(raw, today)
    return caught.value


VALID = [
    "11010519491231002X",  # the example printed in the standard and countless textbooks
    "341321198001011232",  # 砀山县
    "341321200002294561",  # born on 29 February of a leap year
    "510108199003074417",
    "650102190001010032",  # born on the first day accepted
    "370284199912317776",
    "341321202611260016",  # born today
]


# ---- valid numbers -------------------------------------------------------------------------------------------------


def test_the_reference_checksum_reproduces_the_published_example():
    assert reference_check("11010519491231002") == "X"
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize("number", VALID)
def test_a_valid_number_is_returned_as_it_is(number):
    assert reference_check(number[:17]) == number[17]
    assert check_character(number[:17]) == number[17]
    assert validate(number, TODAY) == number


def test_a_lower_case_x_is_accepted_and_upper_cased():
    assert validate("11010519491231002x", TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\t1949 1231\t002x\n",
        "1101 0519 4912 3100 2X",
        "110105\u300019491231\u3000002X",  # ideographic (full-width) space
    ],
)
def test_spaces_anywhere_are_stripped(raw):
    assert validate(raw, TODAY) == "11010519491231002X"


def test_full_width_digits_from_a_chinese_input_method_are_read_as_ascii():
    assert validate("１１０１０５１９４９１２３１００２ｘ", TODAY) == "11010519491231002X"
    assert validate("３４１３２１１９８００１０１１２３２", TODAY) == "341321198001011232"


def test_digits_of_other_scripts_are_not_digits_of_an_id_number():
    arabic_indic_two = "\u0662"
    assert rejection("341321198001011" + arabic_indic_two + "32").message == MALFORMED


# ---- invalid numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID)
def test_every_wrong_check_character_is_refused_as_a_checksum_error(number):
    for wrong in sorted(set("0123456789X") - {number[17]}):
        error = rejection(number[:17] + wrong)
        assert error.message == WRONG_CHECK


@pytest.mark.parametrize(
    ("raw", "length"),
    [("11010519491231002", 17), ("11010519491231002X1", 19), ("", 0), ("1101051949123", 13), ("   ", 0)],
)
def test_a_number_that_is_not_18_characters_long_says_how_long_it_is(raw, length):
    error = rejection(raw)
    assert error.message == WRONG_LENGTH
    assert error.fields == {"length": length}
    assert str(length) in str(error)


@pytest.mark.parametrize(
    "raw",
    [
        "1101051949123A002X",  # a letter among the digits
        "11010519491231X02X",  # X is only allowed at the end
        "11010519491231002Y",  # a letter other than X at the end
        "110105-1949123102X",
        "11010519491231002*",
    ],
)
def test_letters_or_signs_inside_the_number_are_malformed(raw):
    assert len(raw) == 18
    assert rejection(raw).message == MALFORMED


def test_a_leading_zero_is_malformed_even_with_a_correct_check_character():
    number = with_check("01010519491231002")
    assert rejection(number).message == MALFORMED


@pytest.mark.parametrize(
    "birth",
    ["19490230", "19490229", "19000229", "20231301", "20230100", "20230431", "00000101"],
)
def test_a_birth_date_that_does_not_exist_is_named_in_the_message(birth):
    number = with_check(f"110105{birth}002")
    error = rejection(number)
    assert error.message == NO_SUCH_DATE
    assert error.fields == {"digits": birth}
    assert birth in str(error)


def test_a_birth_date_after_today_is_implausible_but_today_is_fine():
    tomorrow = TODAY + timedelta(days=1)
    born_tomorrow = with_check(f"341321{tomorrow:%Y%m%d}001")
    error = rejection(born_tomorrow)
    assert error.message == IMPLAUSIBLE_DATE
    assert error.fields == {"digits": f"{tomorrow:%Y%m%d}"}
    born_today = with_check(f"341321{TODAY:%Y%m%d}001")
    assert validate(born_today, TODAY) == born_today
    assert validate(born_tomorrow, tomorrow) == born_tomorrow


def test_a_birth_date_before_1900_is_implausible():
    assert reference_check("44052418800101001") == "4"  # a well-formed number of someone born in 1880
    error = rejection("440524188001010014")
    assert error.message == IMPLAUSIBLE_DATE
    assert error.fields == {"digits": "18800101"}
    assert validate(with_check("44052419000101001"), TODAY)


def test_every_rejection_has_an_english_message():
    for raw in ["123", "1101051949123A002X", with_check("11010519490230002"), "440524188001010014"]:
        message = str(rejection(raw))
        assert message.isascii(), message
    assert str(rejection("11010519491231002")) == "an ID number has 18 characters, this one has 17"


# ---- properties ----------------------------------------------------------------------------------------------------

regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.from_regex(r"[0-9]{3}", fullmatch=True)
valid_numbers = st.builds(lambda r, b, s: with_check(f"{r}{b:%Y%m%d}{s}"), regions, births, sequences)


@FAST
@given(valid_numbers)
def test_any_17_digits_with_a_plausible_birth_date_and_the_computed_check_character_validate(number):
    assert check_character(number[:17]) == reference_check(number[:17])
    assert validate(number, TODAY) == number
    assert validate(number.lower(), TODAY) == number
    assert validate(f" {number[:6]} {number[6:14]} {number[14:]} ", TODAY) == number


@FAST
@given(valid_numbers, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_single_character_breaks_validation(number, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    # The checksum alone catches it: weights are never 0 mod 11 and 11 is prime.
    assert check_character(changed[:17]) != changed[17]
    with pytest.raises(InvalidInput):
        validate(changed, TODAY)


@FAST
@given(valid_numbers, st.integers(min_value=0, max_value=15))
def test_swapping_two_different_adjacent_digits_breaks_the_checksum(number, position):
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert check_character(swapped[:17]) != swapped[17]


# ---- masking -------------------------------------------------------------------------------------------------------


def test_mask_keeps_the_first_four_and_last_four_with_ten_stars_between():
    assert mask("341321198001011234") == "3413**********1234"
    assert mask("11010519491231002X") == "1101**********002X"


@FAST
@given(valid_numbers)
def test_a_masked_number_shows_only_its_first_and_last_four_characters(number):
    masked = mask(number)
    assert len(masked) == 18
    assert masked == number[:4] + "*" * 10 + number[-4:]


@pytest.mark.parametrize("short", ["", "1", "12345678"])
def test_a_value_of_eight_characters_or_fewer_is_hidden_entirely(short):
    assert mask(short) == "*" * len(short)
