"""Pages and fragments from one template per screen.

A navigation (plain or boosted) gets the whole page; an HTMX request aimed at a named region
(``hx-target="#results"``) gets just that block of the same template.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import segno
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    nodes,
    pass_context,
    select_autoescape,
)
from jinja2 import Template as JinjaTemplate
from jinja2.visitor import NodeTransformer
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.exceptions import TemplateNotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from markupsafe import Markup

from app import i18n, urls
from app.audit.labels import action_label
from app.i18n import messages
from app.tenancy.permissions import ROLE_LABELS, Permission
from app.web import nav
from app.web.feedback import deliver

HTMX_FILE = "htmx-2.0.11.min.js"


def _qr(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG: printed beside a link, so a township rater scans it
    instead of typing 32 characters from paper."""
    return Markup(segno.make(text, error="m").svg_inline(scale=3, border=2, dark="#000", title=text))


@pass_context
def _datetime(context, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the county's clock shows it (the database hands back UTC)."""
    if not value:
        return ""
    county = context.get("ctx")
    if county is not None and value.tzinfo is not None:
        value = value.astimezone(county.tenant.zone)
    return value.strftime(fmt)


@pass_context
def _url(context, name: str, /, **params) -> str:
    """``url("case", case_id=c.id)``: the page's county (``ctx``) or region (``rctx``) fills in
    ``tenant`` or ``region`` unless given."""
    needed = urls.parameters(name)
    if "tenant" in needed and "tenant" not in params:
        params["tenant"] = context["ctx"].tenant.slug
    if "region" in needed and "region" not in params:
        params["region"] = context["rctx"].region.slug
    return urls.url(name, **params)


@functools.lru_cache(maxsize=8192)
def _safe_translation(language: str, message: str) -> Markup:
    """What Jinja's newstyle ``_("…")`` writes into an HTML page (the translation, made safe,
    formatted with no variables so that "%%" reads "%"): once a language, not on every call."""
    return Markup(i18n.translations(language).gettext(message)) % {}


@pass_context
def _gettext(context, message: str, /, **variables) -> str:
    """Jinja's newstyle gettext (``_("共 %(n)s 件", n=3)``); a page asks it dozens of times."""
    if variables or not context.eval_ctx.autoescape:
        translated = i18n.gettext(message)
        return (Markup(translated) if context.eval_ctx.autoescape else translated) % variables
    return _safe_translation(i18n.current_language(), message)


@pass_context
def _county_nav(context) -> Markup:
    """The county's navigation bar for the visitor on this page (kept by ``nav.county_bar``)."""
    county, here = context["ctx"], context["request"].url.path
    return nav.county_bar(context.environment, county.tenant.slug, county.actor.permissions, here)


# Rows rendered by ``each_kept``, by template, language, county, constants and the row itself;
# the constants their keys name by id() are held, so that no other object takes that id meanwhile.
_kept_rows: dict[tuple, Markup] = {}
_held_constants: dict[int, object] = {}
_ROWS_KEPT_AT_MOST = 10_000  # ~15 MB a process (200 pages of the register); forgotten at once when full


_view_values: dict[type, Callable[[object], tuple]] = {}


def _values_of(row: object) -> tuple:
    """All of a dataclass view's values (what a kept row is kept by)."""
    values = _view_values.get(type(row))
    if values is None:
        fields = (field.name for field in dataclasses.fields(type(row)))  # type: ignore[arg-type]  # a view
        values = _view_values[type(row)] = operator.attrgetter(*fields)
    return values(row)


@pass_context
def _each_kept(context, template: str, rows: Iterable[object], /, **constants) -> list[Markup]:
    """``template`` rendered for each of ``rows`` (as ``row``, with the county's ``slug`` and
    ``constants``), each rendered once and kept by what it shows: the row (a dataclass view: all
    its values), the language and the county. A list asked again, by anyone of the county,
    renders only the rows that changed. ``constants`` are the same objects on every request
    (labels); nothing of the visitor's reaches a kept row."""
    if len(_kept_rows) >= _ROWS_KEPT_AT_MOST:
        _kept_rows.clear()
        _held_constants.clear()
    for constant in constants.values():
        _held_constants[id(constant)] = constant
    environment, slug = context.environment, context["ctx"].tenant.slug
    scope = (template, i18n.current_language(), slug, *map(id, constants.values()))
    shown = []
    for row in rows:
        key = (scope, _values_of(row))
        try:
            html = _kept_rows.get(key)
        except TypeError:  # a view that cannot be a key (it carries a dict): rendered, not kept
            shown.append(Markup(environment.get_template(template).render(row=row, slug=slug, **constants)))
            continue
        if html is None:
            html = _kept_rows[key] = Markup(environment.get_template(template).render(row=row, slug=slug, **constants))
        shown.append(html)
    return shown


def _decimal(value: Decimal | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


class _TranslatedAtCompile(NodeTransformer):
    """``_("受理新申请")``, a constant message with nothing to fill in, becomes its translation in
    the compiled template (what Jinja's newstyle gettext would return on every render)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        message = node.args[0] if len(node.args) == 1 else None
        if (
            not isinstance(message, nodes.Const)
            or not isinstance(message.value, str)
            or not isinstance(node.node, nodes.Name)
            or node.node.name != "_"
            or node.kwargs
            or node.dyn_args is not None
            or node.dyn_kwargs is not None
        ):
            return self.generic_visit(node)
        translated = i18n.translations(self.language).gettext(message.value) % {}
        return nodes.MarkSafeIfAutoescape(nodes.Const(translated, lineno=node.lineno), lineno=node.lineno)


class _LanguageEnvironment(Environment):
    """The templates compiled for one language: a page asks ``_()`` of a constant dozens of
    times, and each call through Jinja costs more than the rest of a short page."""

    language = i18n.DEFAULT_LANGUAGE

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _TranslatedAtCompile(self.language).visit(super()._parse(source, name, filename))


def build_environment(templates_dir: Path, language: str = i18n.DEFAULT_LANGUAGE) -> Environment:
    env = _LanguageEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.language = language
    # Jinja's i18n extension adds the method when the environment is made: no stub knows it.
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"] = _gettext
    env.filters["dt"] = _datetime
    env.filters["decimal"] = _decimal
    env.filters["qr"] = _qr
    env.filters["message"] = messages.of_row
    env.globals.update(
        Permission=Permission,
        ROLE_LABELS=ROLE_LABELS,
        LANGUAGES=i18n.LANGUAGES,
        current_language=i18n.current_language,
        HTMX_FILE=HTMX_FILE,
        action_label=action_label,
        url=_url,
        county_nav=_county_nav,
        each_kept=_each_kept,
    )
    return env


class _TemplatesByLanguage(JinjaTemplateEngine):
    """Litestar's Jinja engine over one environment a language, each template taken from the
    visitor's. What Litestar registers (``csrf_token``, …) goes to the default language's
    globals, which every other environment shares."""

    def __init__(self, templates_dir: Path) -> None:
        default = build_environment(templates_dir)
        super().__init__(engine_instance=default)
        self.by_language = {
            language: default if language == i18n.DEFAULT_LANGUAGE else default.overlay() for language in i18n.LANGUAGES
        }
        for language, env in self.by_language.items():
            env.language = language  # type: ignore[attr-defined]

    def get_template(self, template_name: str) -> JinjaTemplate:
        env = self.by_language.get(i18n.current_language(), self.engine)
        try:
            return env.get_template(name=template_name)
        except TemplateNotFound as exc:
            raise TemplateNotFoundException(template_name=template_name) from exc


def template_engine(templates_dir: Path) -> JinjaTemplateEngine:
    return _TemplatesByLanguage(templates_dir)


def page(
    request: Request,
    template: str,
    context: dict | None = None,
    *,
    status_code: int = 200,
    fragments: tuple[str, ...] = (),
) -> Template:
    """The page, or one of its ``fragments`` when HTMX asks for exactly that region."""
    context = {
        "toast": None,
        **(context or {}),
        "me": request.scope.get("user"),
        "ctx": request.state.get("tenant_context"),
    }
    htmx = getattr(request, "htmx", None)
    target = htmx.target if htmx and not htmx.boosted else None
    headers = {"Vary": "HX-Request, HX-Target"}
    response: Template
    if target in fragments:
        response = HTMXBlockTemplate(
            template_name=template, block_name=target, context=context, status_code=status_code, headers=headers
        )
    else:
        response = Template(template_name=template, context=context, status_code=status_code, headers=headers)
    return deliver(request, response)
