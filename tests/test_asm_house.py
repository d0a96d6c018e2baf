"""The house rules particular to reviewbot/asm (issue 11): each module
imports first without a cycle and without lark, and the package's public
face costs nothing at start-up.  Also the bugs the typing found.  The rules
of the whole package (mypy, complexity, module length, cycles) are in
tests/test_house.py."""

import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.asm import parser as asm

ASM = Path(__file__).resolve().parent.parent / "reviewbot" / "asm"


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
