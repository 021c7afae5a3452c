"""Every declared dependency earns its place, and the optional ones are optional.

A main dependency must be imported by extractor/; an extra's by extractor/, tests/, tools/ or
the notebooks (docs/dependencies.md lists who imports what). `nianbao batch` needs the `bulk`
extra and says so in one line when it is missing; every other command runs without it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from extractor.errors import NianbaoError
from extractor.extras import ExtraMissing, require

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
MAIN_IMPORTERS = ("extractor",)
EXTRA_IMPORTERS = ("extractor", "tests", "tools", "notebooks")
# Used without an import, each with the place that uses it (checked: a stale entry fails).
RUN_NOT_IMPORTED = {"ipykernel": ("tests/test_batch.py", 'kernel_name="python3"')}


def declared() -> list[tuple[str, str]]:
    """(group, requirement) for every dependency: "main" or the extra's name."""
    found = [("main", r) for r in PROJECT["dependencies"]]
    found += [(extra, r) for extra, reqs in PROJECT["optional-dependencies"].items() for r in reqs]
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def import_names(requirement: Requirement) -> set[str]:
    """The top-level modules a requirement installs: its distribution's, and those of the
    distributions its requested extras add (dask[distributed] → dask, distributed)."""
    owners = {_canonical(requirement.name)}
    for extra in requirement.extras:
        for line in importlib.metadata.requires(requirement.name) or ():
            nested = Requirement(line)
            if nested.marker is not None and nested.marker.evaluate({"extra": extra}):
                owners.add(_canonical(nested.name))
    return {module for module, dists in importlib.metadata.packages_distributions().items()
            if owners & {_canonical(d) for d in dists}}


def _sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path.read_text(encoding="utf-8")
    for path in sorted(folder.rglob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                code = "".join(cell["source"])
                yield "\n".join(line for line in code.splitlines()
                                if not line.lstrip().startswith(("%", "!")))


def imported(folders: tuple[str, ...]) -> set[str]:
    """The top-level names of every module imported (anywhere in a file) under `folders`."""
    names: set[str] = set()
    for folder in folders:
        if not (ROOT / folder).is_dir():
            continue
        for source in _sources(ROOT / folder):
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("group", "line"), declared())
def test_every_dependency_is_imported(group, line):
    requirement = Requirement(line)
    if _canonical(requirement.name) == _canonical(PROJECT["name"]):
        assert requirement.extras <= PROJECT["optional-dependencies"].keys()
        return
    if requirement.name in RUN_NOT_IMPORTED:
        path, use = RUN_NOT_IMPORTED[requirement.name]
        assert use in (ROOT / path).read_text(encoding="utf-8")
        return
    try:
        importlib.metadata.distribution(requirement.name)
        modules = import_names(requirement)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{requirement.name} is not installed: its module names are unknown")
    folders = MAIN_IMPORTERS if group == "main" else EXTRA_IMPORTERS
    assert modules & imported(folders), f"{line} ({group}) is imported by nothing in {folders}"


def test_the_checker_sees_a_declared_but_unused_dependency():
    assert "pdfplumber" not in imported(EXTRA_IMPORTERS)
    assert "pymupdf" in imported(MAIN_IMPORTERS) and "nbclient" in imported(("tests",))
    assert "matplotlib" in imported(("notebooks",))


def test_a_missing_extra_is_one_line_naming_it():
    require("bulk", "batch", "json")
    with pytest.raises(ExtraMissing) as caught:
        require("bulk", "batch --executor local", "json", "no_such_module_here")
    assert isinstance(caught.value, NianbaoError)
    assert str(caught.value) == ("batch --executor local needs no_such_module_here, not "
                                 "installed: pip install -e '.[bulk]'")


def _without_bulk(*args: str) -> subprocess.CompletedProcess:
    """`nianbao ARGS` in a process where pebble and dask cannot be imported."""
    code = ("import sys\n"
            "for name in ('pebble', 'dask', 'distributed'): sys.modules[name] = None\n"
            f"sys.argv = ['nianbao', *{list(args)!r}]\n"
            "from extractor.cli import main; main()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


@pytest.mark.parametrize(("executor", "module"), [("local", "pebble"), ("dask", "distributed")])
def test_batch_without_the_bulk_extra_says_how_to_install_it(tmp_path, executor, module):
    store = tmp_path / "results.duckdb"
    result = _without_bulk("batch", str(ROOT / "fixtures" / "corpus" / "sanming_city_2023.txt"),
                           "--store", str(store), "--executor", executor,
                           "--scheduler", "tcp://127.0.0.1:1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"nianbao: batch --executor {executor} needs {module}, not installed: "
        "pip install -e '.[bulk]'"]
    assert not store.exists()


def test_extract_runs_without_the_bulk_extra():
    result = _without_bulk("extract", str(ROOT / "fixtures" / "corpus" / "sanming_city_2023.txt"),
                           "-f", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["year"] == 2023


def _imports_after(code: str) -> dict:
    """The heavy modules a fresh process holds after `code` (run with ROOT as cwd)."""
    heavy = ("duckdb", "pyarrow", "pymupdf", "pymupdf.layout", "pymupdf4llm", "onnxruntime")
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps({{m: m in sys.modules for m in {heavy!r}}}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_batch_worker_loads_neither_duckdb_nor_arrow():
    """A worker builds a report's rows as plain Python (store_rows.py): DuckDB and Arrow would
    hold ~50 MiB of its resident memory for nothing it does."""
    held = _imports_after(
        "from pathlib import Path\n"
        "from extractor.batch_task import Job, Options, Stored, extract_file, sha256_file\n"
        "for name in ('huaian_city_2024.pdf', 'sanming_city_2023.txt'):\n"
        "    path = Path('fixtures/corpus') / name\n"
        "    outcome = extract_file(Job(str(path), sha256_file(path)), Options())\n"
        "    assert isinstance(outcome, Stored) and len(outcome.rows.values) > 100, outcome")
    assert held["pymupdf"] and not held["duckdb"] and not held["pyarrow"]


def test_pymupdf_comes_without_its_layout_model():
    """PyMuPDF 2 loads an ONNX page-layout model at import (pymupdf.layout: onnxruntime,
    +95 MiB); nianbao reads a PDF without it (pdflib.py), and a program can still import it."""
    held = _imports_after("from extractor import extract\n"
                          "extract('fixtures/corpus/huaian_city_2024.pdf')\n"
                          "import pymupdf\nassert pymupdf._get_layout is None")
    assert held["pymupdf"] and not (held["pymupdf.layout"] or held["pymupdf4llm"]
                                    or held["onnxruntime"])
    if importlib.util.find_spec("pymupdf.layout") is None:
        return  # an older PyMuPDF: nothing was held back
    later = _imports_after("import extractor.pdflib\nimport pymupdf.layout\nimport pymupdf\n"
                           "assert pymupdf._get_layout is not None")
    assert later["pymupdf.layout"]
    first = _imports_after("import pymupdf\nimport extractor.pdflib\n"
                           "assert pymupdf._get_layout is not None")
    assert first["pymupdf.layout"]  # a program that imported PyMuPDF first keeps its choice
