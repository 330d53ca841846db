"""Every translatable message of the portal, found in the code and the templates.

Used by the test that keeps ``en.po`` complete and by ``python -m app.translations`` which
prints the messages still missing from it, ready to paste and translate.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import CATALOGUE_DIR
from app.settings import PROJECT_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "said": None}


def _every_module() -> None:
    """Import every module of the portal (a tool at the entry points' level, beside the API
    reference): then every error class is known."""
    import app

    for module in pkgutil.walk_packages(app.__path__, "app."):
        if ".piccolo_" not in module.name:  # Piccolo's apps and migrations are loaded by its registry
            importlib.import_module(module.name)


def _error_classes() -> list[str]:
    from app.errors import InvalidInput

    _every_module()

    found, pending = [], [InvalidInput]
    while pending:
        cls = pending.pop()
        found.append(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def messages() -> set[str]:
    keywords = {**KEYWORDS, **dict.fromkeys(_error_classes())}
    found: set[str] = set()
    for directory, method in ((PROJECT_ROOT / "app", "python"), (PROJECT_ROOT / "templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        mapping = [(pattern, method)]
        options = {pattern: {"extensions": "jinja2.ext.i18n"}} if method == "jinja2" else None
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map=mapping, options_map=options, keywords=keywords
        ):
            found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def translated(language: str = "en") -> dict[str, str]:
    with (CATALOGUE_DIR / f"{language}.po").open("rb") as source:
        catalogue = read_po(source)
    return {m.id: m.string for m in catalogue if m.id and isinstance(m.id, str) and isinstance(m.string, str)}


def missing(language: str = "en") -> list[str]:
    done = translated(language)
    return sorted(m for m in messages() if not done.get(m))


if __name__ == "__main__":
    for message in missing(sys.argv[1] if len(sys.argv) > 1 else "en"):
        escaped = message.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        print(f'msgid "{escaped}"\nmsgstr ""\n')
