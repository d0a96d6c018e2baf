"""The house rules of the whole package (issue 11): no import cycle, counting
imports inside functions; no function more complex than 25 (McCabe); mypy
finds nothing in the parser and the rule packages; no module over 400 lines
without saying why at its top; the core logs nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reviewbot"
MAX_LINES = 400
LONG_REASON = "Why this module is long:"
TYPED = ("asm", "rules")  # packages kept free of mypy errors
CORE = ("mail", "asm", "analysis", "rules", "match", "engine.py", "pipeline.py", "model.py")
EDGES = ("analysis/git.py", "analysis/tree.py", "analysis/file_cache.py", "rules/cache.py")  # git, the tree, the caches


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every reviewbot module each module imports, at the top or inside a
    function (a package's __init__ counts as imported with its modules)."""
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reviewbot"):
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("reviewbot")]
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != name:
                    edges[name].add(resolved)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_counting_imports_inside_functions():
    assert _cycles(_imports(_modules())) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_is_more_complex_than_25():
    pytest.importorskip("ruff")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901",
                          "--config", "lint.mccabe.max-complexity=25", str(PACKAGE)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("package", TYPED)
def test_typed_packages_are_free_of_mypy_errors(request, package, tmp_path_factory):
    pytest.importorskip("mypy")
    # .pytest_cache, not the tree; a temporary directory under -p no:cacheprovider
    cache = request.config.cache.mkdir("mypy") if hasattr(request.config, "cache") else tmp_path_factory.mktemp("mypy")
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), str(PACKAGE / package)],
                         capture_output=True, text=True, cwd=PACKAGE.parent)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("module", sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")))
def test_a_long_module_says_why_at_its_top(module):
    text = (PACKAGE / module).read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(text)) or ""
        assert LONG_REASON in docstring, f"{module}: {lines} lines and no {LONG_REASON!r} at its top"


def test_the_core_logs_nothing():
    """The pure core returns what went wrong; only the edges log."""
    for module, path in _modules().items():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in EDGES or not any(rel == c or rel.startswith(c + "/") for c in CORE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                 and n.value.id in ("log", "logger", "logging") and n.attr in ("debug", "info", "warning", "error")]
        assert not calls, f"{rel} logs ({len(calls)} calls)"
