"""Text the system writes (timelines, audit summaries, inbox messages), kept as a message key with
its parameters and shown in the reader's language.

A key is the Chinese text with ``{named}`` fields, a msgid of ``en.po`` (``said("…")`` is found by
the extractor like ``_("…")``). A parameter is a plain value (a person's or a line's name, a
number, a date), ``label("…")``: a catalogue label (a status, a kind) translated with the
message, or another message (a list of them is joined with 、). Rows written before keys
existed have only their Chinese text, and show it as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app import i18n

LABEL = "label"


def label(msgid: str) -> dict[str, str]:
    """A parameter that is itself a catalogue label, translated where the message is shown."""
    return {LABEL: msgid}


@dataclass(frozen=True)
class Said:
    """One message: its key (the Chinese text, a msgid) and its parameters (JSON-ready)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """In the current language."""
        return render(self.key, self.params)

    def chinese(self) -> str:
        """What older readers (the API, a search by text) keep finding in the text column."""
        with i18n.language(i18n.DEFAULT_LANGUAGE):
            return self.text()


def said(key: str, **params: Any) -> Said:
    """A message; a parameter may be a message itself (or a list of them), nested in the row."""
    return Said(key, {name: jsonable(value) for name, value in params.items()})


def jsonable(value: Any) -> Any:
    """A value (a message among them) as a row keeps it: a message becomes ``{"key", "params"}``."""
    if isinstance(value, Said):
        return {"key": value.key, "params": value.params}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def _shown(value: Any) -> str:
    if isinstance(value, dict) and LABEL in value:
        return i18n.gettext(value[LABEL])
    if isinstance(value, dict) and "key" in value:
        return render(value["key"], value.get("params"))
    if isinstance(value, list):
        return i18n.gettext("、").join(_shown(item) for item in value)
    return "" if value is None else str(value)


def render(key: str, params: dict[str, Any] | None, text: str = "") -> str:
    """A stored message in the current language; a row with no key shows its old ``text``."""
    if not key:
        return text
    if isinstance(params, str):  # a JSONB column fetched as an object keeps its JSON text
        params = json.loads(params)
    return i18n.gettext(key).format(**{name: _shown(value) for name, value in (params or {}).items()})


def stored(message: str | Said) -> tuple[str, str, dict[str, Any] | None]:
    """``(text, key, params)`` for a row: the Chinese text always, the key where there is one."""
    if isinstance(message, Said):
        return message.chinese(), message.key, message.params
    return message, "", None


def of_row(row: Any, column: str) -> str:
    """The message of ``column`` in a row (a dict or a table object) with ``<column>_key`` and
    ``<column>_params`` beside it, in the current language."""
    get = row.get if isinstance(row, dict) else lambda name, default=None: getattr(row, name, default)
    return render(get(f"{column}_key", "") or "", get(f"{column}_params", None), get(column, "") or "")
