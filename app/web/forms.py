"""Reading form and query values: a clear message naming the field when one is not what it says."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, overload

from app.errors import InvalidInput
from app.tenancy.context import TenantContext


def whole_number(raw: object, label: str) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise InvalidInput("{field}须为整数", field=label) from None


@overload
def day(raw: str, label: str, *, required: Literal[True]) -> date: ...


@overload
def day(raw: str, label: str, *, required: bool = False) -> date | None: ...


def day(raw: str, label: str, *, required: bool = False) -> date | None:
    """``YYYY-MM-DD``; empty is None unless ``required``."""
    if not raw:
        if required:
            raise InvalidInput("请填写{field}", field=label)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("{field} {value} 不是日期（年-月-日）", field=label, value=raw) from None


def parse_instant(ctx: TenantContext, raw: str) -> datetime | None:
    """``2026-05-06T09:30`` (county time) or with an offset; empty means now."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("时间 {value} 格式不对，应为 年-月-日 时:分", value=raw) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ctx.tenant.zone)
