"""``reviewbot parse`` over several files (the parser's own output is
tests/test_asm_grammar.py's)."""

from __future__ import annotations

from tests.conftest import run_cli


def test_an_unreadable_file_is_named_and_the_rest_still_parsed(capsys, tmp_path):
    good, other, missing = tmp_path / "good.S", tmp_path / "other.S", tmp_path / "nosuch.S"
    good.write_text("\tmov\tx0, x1\n")
    other.write_text("\tnop\n\tmov x0 x1\n")
    code, out, err = run_cli(capsys, "parse", "--stats", str(good), str(missing), str(other))
    assert code == 2
    assert out.splitlines() == [
        f"{good}: 1/1 statements parsed (100.00%)",
        f"{other}: 1/2 statements parsed (50.00%)", f"{other}:2: mov x0 x1",
        "total: 2/3 statements parsed (66.67%); 1 file not read"]
    assert err == f"reviewbot: error: {missing}: no such file\n"
    code, out, err = run_cli(capsys, "parse", str(missing), str(tmp_path), str(other))
    assert code == 2 and out.startswith(f"{other}:1:2: Instruction mnemonic='nop'")
    assert err.splitlines() == [f"reviewbot: error: {missing}: no such file",
                                f"reviewbot: error: {tmp_path}: is a directory"]


def test_the_help_says_the_exit_status(capsys):
    code, out, _ = run_cli(capsys, "parse", "--help")
    assert code == 0 and "2 when a FILE cannot be read" in out


def test_stats_say_how_many_instructions_have_no_a64_mnemonic(capsys, tmp_path):
    # any 'word operands' line parses as an Instruction: a kernel macro, or prose
    src = tmp_path / "a.S"
    src.write_text("\tadr_l\tx0, sym\n\tmov\tx0, x1\n\tb.eq\t1f\nThe parser reads this.\n")
    code, out, _ = run_cli(capsys, "parse", "--stats", str(src))
    assert code == 0
    suffix = "; 2 of 4 instructions with a non-A64 mnemonic (macros, or not assembly)"
    assert out.splitlines() == [f"{src}: 4/4 statements parsed (100.00%){suffix}",
                                f"total: 4/4 statements parsed (100.00%){suffix}"]


def test_stdin_has_one_name_in_errors_and_output(capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\0b")))
    code, out, err = run_cli(capsys, "parse", "-")
    assert (code, out) == (2, "") and err == "reviewbot: error: <stdin>: is a binary file, not assembly source\n"
