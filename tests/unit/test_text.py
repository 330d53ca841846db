"""The rule for typed text (app.text) and the nesting of JSON bodies (app.web.bodies.json_depth)."""

from __future__ import annotations

import json
import unicodedata

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import text
from app.errors import InvalidInput
from app.web.bodies import json_depth

REFUSED_EVERYWHERE = [
    "\x00",
    "\r",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u00ad",
    "\u061c",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u202a",
    "\u202e",
    "\u2028",
    "\u2029",
    "\u2066",
    "\u2069",
    "\ufeff",
]


@pytest.mark.parametrize("character", REFUSED_EVERYWHERE)
def test_control_and_invisible_characters_are_refused_in_every_field(character):
    for note in (False, True):
        with pytest.raises(InvalidInput) as refused:
            text.check(f"王效{character}雷", "名称", note=note)
        assert refused.value.in_language("zh") == "名称不能含有换行、制表符、方向控制符或其他不可见的控制字符"


@pytest.mark.parametrize("value", ["a\nb", "a\tb", "trailing\n", "\n"])
def test_line_breaks_and_tabs_only_in_notes(value):
    text.check(value, "备注", note=True)
    with pytest.raises(InvalidInput):
        text.check(value, "姓名")


def test_a_browsers_line_ends_in_a_note_are_line_breaks_but_a_lone_cr_is_not():
    text.check("户口簿\r\n身份证", "材料", note=True)
    with pytest.raises(InvalidInput):
        text.check("户口簿\r身份证", "材料", note=True)


@pytest.mark.parametrize("value", ["", "王效雷", "0557-1234567", "Zhu Wenjun", "低保 (城市)", "a'b\"c<d>", "😀", "ñ"])
def test_ordinary_text_is_kept(value):
    text.check(value, "姓名")
    text.check(value, "备注", note=True)


def _kept(value: str, note: bool) -> bool:
    try:
        text.check(value, "x", note=note)
    except InvalidInput:
        return False
    return True


@given(st.text())
def test_every_control_character_is_refused_and_visible_text_never(value):
    categories = {c: unicodedata.category(c) for c in value}
    for note, allowed in ((False, set()), (True, {"\n", "\t"})):
        controls = {c for c, kind in categories.items() if kind in ("Cc", "Zl", "Zp")} - allowed
        invisible = {c for c, kind in categories.items() if kind in ("Cc", "Cf", "Zl", "Zp")} - allowed
        if controls:
            assert not _kept(value, note), (note, value)
        if not invisible:
            assert _kept(value, note), (note, value)


def test_api_bodies_keep_the_same_rule_and_the_message_names_it():
    class Body(msgspec.Struct):
        name: text.SingleLine
        note: text.MultiLine = ""

    assert msgspec.json.decode(b'{"name": "ok", "note": "a\\nb"}', type=Body).note == "a\nb"
    for bad in ('{"name": "a\\u202eb"}', '{"name": "a\\n"}', '{"name": "x", "note": "a\\u0000"}'):
        with pytest.raises(msgspec.ValidationError) as refused:
            msgspec.json.decode(bad.encode(), type=Body)
        assert text.is_rule_broken(str(refused.value))
    assert not text.is_rule_broken("Expected `int`, got `str` - at `$.year`")


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b"1", 0),
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'{"a": "\\"[[[["}', 1),
        (b'["\\\\", [[]]]', 3),
        (b"[" * 1000 + b"]" * 1000, 1000),
    ],
)
def test_json_depth_counts_brackets_outside_strings(body, depth):
    assert json_depth(body) == depth


@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
def test_json_depth_is_the_depth_of_the_decoded_value(value):
    def depth(v) -> int:
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    assert json_depth(json.dumps(value).encode()) == depth(value)
