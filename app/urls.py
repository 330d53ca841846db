"""Internal URLs from route names (issue 14): ``url("case", tenant="demo", case_id=7)`` gives
``/t/demo/cases/7``; nothing in the portal writes a path by hand.

The table (route name → path with its router's prefix) is the application's own, handed down by
the entry point that mounts the routers: ``app.asgi.load_routes()``, called by ``create_app``, by
every ``portal`` command (the worker's reminders and substitution sweep build links too), by the
tests and by the ops scripts that call services. The ground never reaches up for it.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, urlencode

# Route name → (its path, the parameters the path names): parsed once, asked on every link.
_routes: dict[str, tuple[str, frozenset[str]]] = {}

Query = Mapping[str, object] | Iterable[tuple[str, object]]


def load(paths: Mapping[str, str]) -> None:
    """Replace the table: ``{name: "/t/{tenant}/cases/{case_id}"}``."""
    _routes.clear()
    _routes.update(
        (name, (path, frozenset(field for _, field, _, _ in string.Formatter().parse(path) if field)))
        for name, path in paths.items()
    )


def _route(name: str) -> tuple[str, frozenset[str]]:
    try:
        return _routes[name]
    except KeyError:
        if not _routes:
            raise RuntimeError("app.urls: no route table; the entry point calls app.asgi.load_routes() first") from None
        raise LookupError(f"no route is named {name!r}") from None


def table() -> dict[str, str]:
    return {name: path for name, (path, _) in _routes.items()}


def parameters(name: str) -> frozenset[str]:
    """The path parameters route ``name`` needs (``{"tenant", "case_id"}``)."""
    return _route(name)[1]


def path_of(name: str) -> str:
    return _route(name)[0]


def url(name: str, /, *, query: Query | None = None, anchor: str = "", **params: object) -> str:
    """The path of route ``name`` with ``params`` filled in (quoted), then ``?query`` (pairs whose
    value is None are left out) and ``#anchor``."""
    path, needed = _route(name)
    if needed != params.keys():
        raise LookupError(f"route {name!r} takes {sorted(needed)}, not {sorted(params)}")
    if params:
        path = _filled(path, params)
    if query:
        pairs = query.items() if isinstance(query, Mapping) else query
        encoded = urlencode([(key, value) for key, value in pairs if value is not None], doseq=True, safe="/")
        path += f"?{encoded}" if encoded else ""
    return path + (f"#{anchor}" if anchor else "")


def url_with(name: str, /, **fixed: object) -> Callable[..., str]:
    """``url`` of route ``name`` with ``fixed`` filled in once, for a list that links every row:
    ``case_link = url_with("case", tenant="demo")``, then ``case_link(case_id=7)``."""
    path, needed = _route(name)
    if not fixed.keys() <= needed:
        raise LookupError(f"route {name!r} takes {sorted(needed)}, not {sorted(fixed)}")
    for key, value in fixed.items():
        path = path.replace(f"{{{key}}}", _quoted(value))  # quoted: no brace is left in a value
    rest = needed - fixed.keys()

    def link(**params: object) -> str:
        if params.keys() != rest:
            raise LookupError(f"route {name!r} still takes {sorted(rest)}, not {sorted(params)}")
        return _filled(path, params)

    return link


def _quoted(value: object) -> str:
    return str(value) if type(value) is int else quote(str(value), safe="")


def _filled(path: str, params: Mapping[str, object]) -> str:
    return path.format_map({key: _quoted(value) for key, value in params.items()})
