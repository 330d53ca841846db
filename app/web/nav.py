"""The county's navigation bar: its links as data, and the bar rendered once per county, language,
set of permissions and current page (the bar is the same for everyone who shares them, and
filling in its dozen links cost more than the rest of a short page)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from app import i18n, urls
from app.tenancy.permissions import Permission


@dataclass(frozen=True)
class NavLink:
    route: str
    label: str  # the Chinese message; the bar translates it
    needs: Permission | None = None


# On the bar itself; then the rest in the "更多" menu, so the bar is one line at 1280 px.
MAIN = (
    NavLink("dashboard", "首页"),
    NavLink("todo", "我的待办"),
    NavLink("rota", "A/B岗"),
    NavLink("cases", "案件"),
    NavLink("enquiries", "首问登记"),
    NavLink("absences", "离岗告示"),
    NavLink("evaluations", "考评", Permission.EVALUATION_RATE),
)
MORE = (
    NavLink("absences_overview", "离岗总览", Permission.ABSENCE_OVERVIEW),
    NavLink("staff", "人员"),
    NavLink("lines", "业务岗位"),
    NavLink("calendar", "工作日历", Permission.CASE_VIEW),
    NavLink("county_stats", "限时办结统计", Permission.STATS_VIEW),
    NavLink("audit", "审计日志", Permission.AUDIT_READ),
    NavLink("imports", "导入", Permission.DATA_IMPORT),
    NavLink("settings", "设置", Permission.SETTINGS_MANAGE),
    NavLink("tokens", "API 令牌"),
)
_ALL = MAIN + MORE


@lru_cache(maxsize=1024)
def _paths(slug: str) -> dict[str, str]:
    """The bar's paths in county ``slug``, by route."""
    return {link.route: urls.url(link.route, tenant=slug) for link in _ALL}


@lru_cache(maxsize=1024)
def _on_bar(slug: str) -> dict[str, str]:
    """Each of the bar's paths by itself without a trailing slash (the county's start page is
    asked for with and without it)."""
    return {path.rstrip("/"): path for path in _paths(slug).values()}


def county_bar(environment, slug: str, permissions: frozenset[Permission], here: str) -> Markup:
    """The bar of county ``slug`` for someone with ``permissions`` on page ``here``, in the
    current language (``environment``, that language's, compiles its template)."""
    # Only a page on the bar changes it (aria-current); every other page shares one bar.
    current = _on_bar(slug).get(here.rstrip("/"), "")
    return _bar(environment, i18n.current_language(), slug, permissions, current)


@lru_cache(maxsize=4096)  # counties × languages × permission sets × the pages on the bar
def _bar(environment, language: str, slug: str, permissions: frozenset[Permission], current: str) -> Markup:
    """The bar, rendered once per its arguments (``language`` keys it: the labels are translated
    as it renders)."""
    paths = _paths(slug)
    shown = {
        part: [(link, paths[link.route]) for link in links if link.needs is None or link.needs in permissions]
        for part, links in (("main", MAIN), ("more", MORE))
    }
    return Markup(environment.get_template("_county_nav.html").render(here=current, slug=slug, **shown))
