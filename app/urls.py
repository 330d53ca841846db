"""Internal URLs from route names (issue 14): ``url("case", tenant="demo", case_id=7)`` gives
``/t/demo/cases/7``; nothing in the portal writes a path by hand.

The table (route name → path with its router's prefix) is the application's own: the first link a
process builds loads it from the routers ``app.asgi`` mounts, the same way in the web server and
where no request is served (the worker's reminders and substitution sweep, commands, tests calling
a service). ``app.asgi`` is imported by name: the ground sits below everything the routers mount,
so a static import would tie every feature to every other.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

_paths: dict[str, str] = {}

Query = Mapping[str, object] | Iterable[tuple[str, object]]


def load(paths: Mapping[str, str]) -> None:
    """Replace the table: ``{name: "/t/{tenant}/cases/{case_id}"}``."""
    _paths.clear()
    _paths.update(paths)


def _table() -> dict[str, str]:
    if not _paths:
        importlib.import_module("app.asgi").load_routes()
    return _paths


def parameters(name: str) -> frozenset[str]:
    """The path parameters route ``name`` needs (``{"tenant", "case_id"}``)."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(path_of(name)) if field)


def path_of(name: str) -> str:
    try:
        return _table()[name]
    except KeyError:
        raise LookupError(f"no route is named {name!r}") from None


def url(name: str, /, *, query: Query | None = None, anchor: str = "", **params: object) -> str:
    """The path of route ``name`` with ``params`` filled in (quoted), then ``?query`` (pairs whose
    value is None are left out) and ``#anchor``."""
    needed = parameters(name)
    if needed != params.keys():
        raise LookupError(f"route {name!r} takes {sorted(needed)}, not {sorted(params)}")
    path = path_of(name).format_map({key: quote(str(value), safe="") for key, value in params.items()})
    if query:
        pairs = query.items() if isinstance(query, Mapping) else query
        encoded = urlencode([(key, value) for key, value in pairs if value is not None], doseq=True, safe="/")
        path += f"?{encoded}" if encoded else ""
    return path + (f"#{anchor}" if anchor else "")
