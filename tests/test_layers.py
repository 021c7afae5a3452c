"""Layers point one way: no module of extractor/ imports a later stage, and no imports go round
in a circle.

The order is declared once, in `LAYERS`; docs/architecture.md ("Layers") states the same list,
and a test below holds the two together. Every import counts: at module level, inside a
function (a lazy import is still a dependency), relative ones resolved. Importing a submodule
runs its parent packages' `__init__`, but that is Python's doing, not a dependency the code
chose, so it is not an edge.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "extractor"

# Earliest first. A name stands for a module, or a package and everything in it; the longest
# name that covers a module places it (`legacy.knowledge` sits apart from the rest of `legacy`).
# "" is the package's own `__init__`, the public face over everything.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("errors", "extras", "limits", "version", "codes", "keys", "textnorm", "document",
              "schema", "pdflib")),
    ("patterns", ("patterns", "identity_spec", "numbers", "labels", "arithmetic", "rulebook",
                  "crosswalk", "legacy.knowledge", "printed")),
    ("geometry", ("geometry",)),
    ("load", ("load",)),
    ("segment", ("segment",)),
    ("locate", ("tables.locate",)),
    ("claims", ("claims",)),
    ("map", ("tables",)),
    ("legacy", ("legacy",)),
    ("meta", ("meta", "bodies")),
    ("knowledge", ("references", "knowledge")),
    ("audit", ("audit",)),
    ("pipeline", ("pipeline",)),
    ("export", ("export", "terminal", "xlsx", "evaluate")),
    ("bulk", ("inputs", "store_rows", "store", "batch_task", "executors", "batch", "history")),
    ("view", ("view",)),
    ("cli", ("cli", "cli_common", "commands_bulk")),
    ("package", ("",)),
)


def module_name(path: Path, root: Path) -> str:
    """extractor/load/pdf.py → "load.pdf"; a package's __init__ → the package ("" the root)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at `root` → the modules of that package it imports."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        here = module.split(".") if module else []
        if path.name != "__init__.py":
            here = here[:-1]  # the package a plain module's relative imports start from
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [_inside(a.name, root.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = _inside(node.module or "", root.name)
                # `from . import x` imports the module x when there is one, else a name of ".".
                names = [origin if origin is None or f"{origin}.{a.name}".strip(".") not in files
                         else f"{origin}.{a.name}".strip(".") for a in node.names]
            else:
                continue
            for name in names:
                while name is not None and name not in files:
                    name = name.rpartition(".")[0] if name else None
                if name is not None and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def _inside(name: str, package: str) -> str | None:
    """An absolute import's module relative to the package, or None when it is outside."""
    if name == package:
        return ""
    return name[len(package) + 1:] if name.startswith(package + ".") else None


def layer_of(module: str, layers=LAYERS) -> int | None:
    """The index of the layer whose longest name covers `module`."""
    best: tuple[int, int] | None = None
    for index, (_, names) in enumerate(layers):
        for name in names:
            if module == name or (name and module.startswith(name + ".")):
                if best is None or len(name) > best[0]:
                    best = (len(name), index)
    return None if best is None else best[1]


def violations(graph: dict[str, set[str]], layers=LAYERS) -> list[str]:
    """Every import of a later layer, and every module in no layer."""
    found = []
    for module in sorted(graph):
        mine = layer_of(module, layers)
        if mine is None:
            found.append(f"{module or PACKAGE} is in no layer: add it to LAYERS "
                         "(tests/test_layers.py) and to docs/architecture.md")
            continue
        for target in sorted(graph[module]):
            theirs = layer_of(target, layers)
            if theirs is not None and theirs > mine:
                found.append(f"{module} ({layers[mine][0]}) imports {target} "
                             f"({layers[theirs][0]}), a later layer")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT / PACKAGE)


def test_no_import_circles(graph):
    assert cycles(graph) == []


def test_no_module_imports_a_later_layer(graph):
    assert violations(graph) == []


def test_every_declared_name_is_a_module(graph):
    stale = [name for _, names in LAYERS for name in names if name not in graph]
    assert stale == []


def test_docs_state_the_enforced_order():
    """docs/architecture.md lists the layers as `1. **base**: errors, limits, …`, in order."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    listed = [(m[1], tuple(n.strip().strip("`") for n in m[2].split(",")))
              for m in re.finditer(r"^\d+\. \*\*(\w+)\*\*: (.+)$", section, re.M)]
    declared = [(name, tuple(n or "__init__" for n in names)) for name, names in LAYERS]
    assert listed == declared


# -- the checker itself, on small fake graphs and sources: it must catch what it is for --

def test_checker_finds_a_circle_and_an_upward_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    layers = (("low", ("document",)), ("mid", ("load",)), ("high", ("pipeline",)))
    graph = {"document": {"load.pdf"}, "load.pdf": {"document"}, "pipeline": {"load"},
             "load": set()}
    assert violations(graph, layers) == [
        "document (low) imports load.pdf (mid), a later layer"]
    assert violations({"stray": set()}, layers)[0].startswith("stray is in no layer")


def test_checker_reads_lazy_relative_and_absolute_imports(tmp_path):
    root = tmp_path / "pkg"
    (root / "load").mkdir(parents=True)
    for name in ("__init__.py", "document.py", "load/__init__.py", "load/ocr.py"):
        (root / name).write_text("")
    (root / "load" / "pdf.py").write_text(
        "import os\n"
        "from ..document import Page\n"
        "def scanned():\n"
        "    from . import ocr\n"
        "    import pkg.document\n")
    (root / "load" / "ocr.py").write_text("from .pdf import lines_from_words\n")
    graph = import_graph(root)
    assert graph["load.pdf"] == {"document", "load.ocr"}
    assert cycles(graph) == [["load.ocr", "load.pdf"]]
