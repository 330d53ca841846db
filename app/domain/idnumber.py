"""Resident ID numbers (GB 11643-1999): checked at intake, shown masked afterwards (SPEC §6)."""

from __future__ import annotations

import re
from datetime import date

from app.errors import InvalidInput
from app.text import half_width, without_spaces

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)
_FIRST_BIRTH_YEAR = 1900


def check_character(first_17: str) -> str:
    """The 18th character: ISO 7064 MOD 11-2 over the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def canonical(raw: object) -> str:
    """The number as it is stored and looked up: ASCII (an IME left in full-width mode types
    "３４１３…ｘ"), no spaces, upper-case X."""
    return without_spaces(half_width(str(raw))).upper()


def validate(raw: str, today: date) -> str:
    """The number in its canonical form, or ``InvalidInput`` saying why."""
    number = canonical(raw)
    if len(number) != 18:
        raise InvalidInput("身份证号须为 18 位，现为 {length} 位", length=len(number))
    if not _SHAPE.match(number):
        raise InvalidInput("身份证号格式不对：前 17 位须为数字，最后一位为数字或 X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("身份证号中的出生日期 {digits} 不存在", digits=number[6:14]) from None
    if born.year < _FIRST_BIRTH_YEAR or born > today:
        raise InvalidInput("身份证号中的出生日期 {digits} 不合理", digits=number[6:14])
    if number[17] != check_character(number[:17]):
        raise InvalidInput("身份证号校验位不对，请核对是否抄错")
    return number


def mask(number: str) -> str:
    """``3413**********1234``: enough to tell households apart on a list, not enough to misuse."""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
