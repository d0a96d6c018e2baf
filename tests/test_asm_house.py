"""The house rules of reviewbot/asm (issue 11): mypy finds nothing, no
function is more complex than 25 (McCabe), no module is over 400 lines
without saying why at its top, and the package's public face costs nothing
at start-up.  Also the bugs the typing found."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.asm import parser as asm

ASM = Path(__file__).resolve().parent.parent / "reviewbot" / "asm"
MAX_LINES = 400
LONG_REASON = "Why this module is long:"


def test_asm_is_free_of_mypy_errors(request):
    pytest.importorskip("mypy")
    cache = request.config.cache.mkdir("mypy")  # .pytest_cache, not the tree
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), str(ASM)],
                         capture_output=True, text=True, cwd=ASM.parent.parent)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_asm_function_is_more_complex_than_25():
    pytest.importorskip("ruff")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901",
                          "--config", "lint.mccabe.max-complexity=25", str(ASM)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("module", sorted(p.name for p in ASM.glob("*.py")))
def test_a_long_asm_module_says_why_at_its_top(module):
    path = ASM / module
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert LONG_REASON in docstring, f"{module}: {lines} lines and no {LONG_REASON!r} at its top"


def test_parse_refuses_the_reader_alone_with_a_clear_message():
    # read_statement(via="reader") gives None for what needs the grammar;
    # parse() used to fail on that None with a TypeError
    with pytest.raises(ValueError, match="valid: auto, operands, grammar"):
        asm.parse("\tmov w0, #'a'", via="reader")


def _fresh(code):
    root = str(ASM.parent.parent)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "PYTHONPATH": root})
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_every_asm_module_imports_first_without_a_cycle():
    modules = sorted(f"reviewbot.asm.{p.stem}" for p in ASM.glob("*.py") if p.stem != "__init__")
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    for loaded in [m for m in sys.modules if m.startswith('reviewbot')]:\n"
            "        del sys.modules[loaded]\n"
            "    importlib.import_module(name)\n"
            "print('lark' in sys.modules)\n")
    assert _fresh(code).strip() == "False"


def test_the_face_is_lazy_and_the_ast_loads_alone():
    out = _fresh("import sys\nimport reviewbot.asm.ast\n"
                 "print(sorted(m for m in sys.modules if m.startswith(('reviewbot.asm', 'lark'))))\n")
    assert out.strip() == "['reviewbot.asm', 'reviewbot.asm.ast']"


def test_the_face_gives_the_parser_entry_points():
    import reviewbot.asm as face
    from reviewbot.asm import parse, parse_pattern, parse_quoted

    assert (parse, parse_quoted, parse_pattern) == (asm.parse, asm.parse_quoted, asm.parse_pattern)
    assert "parse" in dir(face) and face.__all__ == ["parse", "parse_quoted", "parse_pattern",
                                                      "read_statement", "unquote"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        face.nothing  # noqa: B018
