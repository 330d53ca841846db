"""The house in figures (issue 14): what imports what between the packages of ``app`` and
``workers``, read from the code by grimp (import-linter's graph).

    .venv/bin/python ops/structure.py

Prints the package arrows, the pairs of packages importing each other, the cycles between
packages, the imports that run up the layers of pyproject.toml's layers contract (before its
``ignore_imports``), and the largest modules outside migrations. ``lint-imports`` and mypy are
the checks; this is the picture in numbers.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "app" and len(parts) > 1 else parts[0]


def layer_index(contract: dict) -> dict[str, int]:
    """Each module named in the layers, with its layer counted from the top."""
    index = {}
    for number, layer in enumerate(contract["layers"]):
        for name in layer.replace("|", ":").split(":"):
            index[name.strip()] = number
    return index


def layer_of(module: str, index: dict[str, int]) -> int | None:
    while module:
        if module in index:
            return index[module]
        module = module.rpartition(".")[0]
    return None


def main() -> None:
    sys.path.insert(0, str(ROOT))  # this checkout's code, whatever the virtualenv was installed from
    graph = grimp.build_graph("app", "workers")
    modules = [m for m in graph.modules if ".piccolo_migrations" not in m]
    imports = {
        (importer, imported)
        for importer in modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported in graph.modules and ".piccolo_migrations" not in imported
    }
    arrows = {(package(a), package(b)) for a, b in imports if package(a) != package(b)}
    pairs = sorted({tuple(sorted(arrow)) for arrow in arrows if arrow[::-1] in arrows})
    packages = sorted({p for arrow in arrows for p in arrow})
    reach = {p: {b for a, b in arrows if a == p} for p in packages}
    changed = True
    while changed:  # the transitive closure, small enough to do by hand
        changed = False
        for p in packages:
            more = set().union(*(reach[q] for q in reach[p])) - reach[p]
            if more:
                reach[p] |= more
                changed = True
    in_cycles = sorted(p for p in packages if p in reach[p])
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = next(c for c in settings["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    index = layer_index(layers)
    upward = sorted(
        (a, b)
        for a, b in imports
        if (la := layer_of(a, index)) is not None and (lb := layer_of(b, index)) is not None and lb < la
    )
    sizes = sorted(
        (
            (len(path.read_text().splitlines()), str(path.relative_to(ROOT)))
            for folder in ("app", "workers")
            for path in (ROOT / folder).rglob("*.py")
            if "piccolo_migrations" not in path.parts
        ),
        reverse=True,
    )
    print(f"modules: {len(modules)}; imports between them: {len(imports)}")
    print(f"package arrows: {len(arrows)}")
    print(f"package pairs importing each other: {len(pairs)} {pairs}")
    print(f"packages in an import cycle: {len(in_cycles)} {in_cycles}")
    print(f"imports running up the layers (before ignore_imports): {len(upward)}")
    for importer, imported in upward:
        print(f"  {importer} -> {imported}")
    print("largest modules: " + ", ".join(f"{path} {lines}" for lines, path in sizes[:5]))


if __name__ == "__main__":
    main()
