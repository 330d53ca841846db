"""What typed text may hold: one rule for every form and every API body.

A single-line value (a username, a name, a phone number, a title) may not contain a control
character (CR/LF, tab, the other C0 and C1 controls), a bidirectional override such as U+202E, or
an invisible character (zero-width space, joiners, BOM, soft hyphen): they forge headers and log
lines, hide or reverse what a reader sees on a page or a printed notice, and make two usernames
look the same. A note (multi-line) may also hold line feeds and tabs.

API bodies use the annotated types ``SingleLine`` / ``MultiLine`` (the rule is in the OpenAPI
schema as a ``pattern``, checked by msgspec); forms are checked by ``check`` before any handler
runs (``app.web.forms.refuse_control_characters``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import msgspec

from app.errors import InvalidInput
from app.i18n import N_

# C0 controls but tab and line feed, DEL and the C1 controls.
_CONTROLS_IN_NOTES = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
# Invisible or direction-changing format characters, and Unicode's own line/paragraph separators.
_INVISIBLE = r"\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"

# ``$(?!\n)``: the end of the text, also for Python's ``re`` (whose ``$`` accepts a final newline).
SINGLE_LINE_PATTERN = rf"^[^\t\n{_CONTROLS_IN_NOTES}{_INVISIBLE}]*$(?!\n)"
MULTI_LINE_PATTERN = rf"^[^{_CONTROLS_IN_NOTES}{_INVISIBLE}]*$"

SingleLine = Annotated[str, msgspec.Meta(pattern=SINGLE_LINE_PATTERN)]
MultiLine = Annotated[str, msgspec.Meta(pattern=MULTI_LINE_PATTERN)]

_SINGLE_LINE = re.compile(SINGLE_LINE_PATTERN)
_MULTI_LINE = re.compile(MULTI_LINE_PATTERN)

REFUSED = N_("{field}不能含有换行、制表符、方向控制符或其他不可见的控制字符")


def check(value: str, field: str, *, note: bool = False) -> None:
    """Refuse ``value`` unless it keeps the rule; a note's CRLF line ends (as browsers send a
    <textarea>) count as line feeds."""
    allowed = _MULTI_LINE.search(value.replace("\r\n", "\n")) if note else _SINGLE_LINE.search(value)
    if not allowed:
        raise InvalidInput(REFUSED, field=field)


# How msgspec names these patterns in its messages: with their backslashes escaped.
_IN_MSGSPEC_MESSAGES = tuple(
    "regex '" + pattern.replace("\\", "\\\\") + "'" for pattern in (SINGLE_LINE_PATTERN, MULTI_LINE_PATTERN)
)


def is_rule_broken(validation_message: str) -> bool:
    """Whether msgspec's message about a decoded body says it broke this rule."""
    return any(quoted in validation_message for quoted in _IN_MSGSPEC_MESSAGES)


def collapse_spaces(text: str) -> str:
    """Runs of white space (line breaks too) as one space, none at either end: how a label, a
    reason or a search term is kept, so that two spellings of one text compare equal."""
    return " ".join(text.split())


def without_spaces(text: str) -> str:
    """No white space at all: how a number typed or pasted with spaces (ID, account) is read."""
    return "".join(text.split())


def half_width(text: str) -> str:
    """Full-width digits, letters and punctuation as their ASCII (NFKC): how a number or a date
    typed with a Chinese input method is read."""
    return unicodedata.normalize("NFKC", text)
