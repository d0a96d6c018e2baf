"""A hunk line the assembly readers give up on -- ~1,000 nested
parentheses (the readers recurse per bracket), or an absurdly long
statement -- is reported with its file and line, and the exit status says
the patch was not fully checked; the other lines are still checked."""

from __future__ import annotations

import pytest

from conftest import make_patch, run_cli

PATH = "arch/arm64/kvm/hyp/entry.S"
MSR_SWAP = "\tmsr\tx1, tpidr_el2"  # arm64.sysreg.msr-mrs-operand-order, an error


def patch_adding(*lines: str) -> str:
    hunk = f"@@ -1,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)
    return make_patch(PATH, hunk)


HOSTILE = [
    ("\tldr x0, =" + "(" * 1000 + "sym" + ")" * 1000, "nested too deeply"),
    ("\tadd x0, x0, " + "[" * 1000 + "1" + "]" * 1000, None),  # refused or reported, never silent and never a crash
    ("\tfoo " + "a, " * 5000, "longer than 4,096 characters"),
]


@pytest.mark.parametrize("line,problem", HOSTILE, ids=["parentheses", "brackets", "long"])
def test_the_line_is_reported_and_the_rest_checked(tmp_path, capsys, line, problem):
    path = tmp_path / "p.patch"
    path.write_text(patch_adding("\tnop", line, MSR_SWAP))
    code, out, err = run_cli(capsys, "check", "--no-tree", str(path))
    assert code == 1 and f"{PATH}:3: error: [arm64.sysreg.msr-mrs-operand-order]" in out
    assert "internal error" not in err
    if problem:
        assert f"reviewbot: error: {path}: {PATH}:2: not checked: {problem}" in err


@pytest.mark.parametrize("line,problem", [h for h in HOSTILE if h[1]], ids=["parentheses", "long"])
def test_alone_it_makes_the_check_fail_as_bad_input_does(tmp_path, capsys, line, problem):
    path = tmp_path / "p.patch"
    path.write_text(patch_adding("\tnop", line))
    code, out, err = run_cli(capsys, "check", "--no-tree", str(path))
    assert code == 2 and out == ""
    assert err == f"reviewbot: error: {path}: {PATH}:2: not checked: {problem}\n"


def test_ordinary_nesting_is_checked_silently(tmp_path, capsys):
    path = tmp_path / "p.patch"
    path.write_text(patch_adding("\tldr x0, =" + "(" * 20 + "sym" + ")" * 20))
    code, out, err = run_cli(capsys, "check", "--no-tree", str(path))
    assert "not checked" not in err


@pytest.mark.parametrize("line,problem", [h for h in HOSTILE if h[1]], ids=["parentheses", "long"])
def test_review_counts_an_unchecked_line_as_bad_input_not_as_a_crash(tmp_path, capsys, line, problem):
    """The input's doing, not reviewbot's: listed with the malformed input,
    the reply for the other findings still written, no internal error."""
    import json

    path = tmp_path / "p.patch"
    path.write_text(patch_adding("\tnop", line, MSR_SWAP))
    code, out, err = run_cli(capsys, "review", "--outbox", str(tmp_path / "outbox"),
                             "--db", str(tmp_path / "outbox.sqlite"), "--format", "json", str(path))
    summary = json.loads(out)
    assert code == 0 and summary["internal_errors"] == []
    assert [m["problem"] for m in summary["malformed"]] == [f"{path}: {PATH}:2: not checked: {problem}"]
    assert summary["findings"] == {"arm64.sysreg.msr-mrs-operand-order": 1}


def test_a_whole_file_is_named_once(tmp_path, capsys):
    src = tmp_path / "deep.S"
    src.write_text("\tnop\n\tfoo " + "a, " * 5000 + "\n")
    code, out, err = run_cli(capsys, "check", "--file", str(src))
    assert code == 2 and err == f"reviewbot: error: {src}:2: not checked: longer than 4,096 characters\n"
    code, _, err = run_cli(capsys, "check", "--file", str(tmp_path))
    assert code == 2 and err == f"reviewbot: error: {tmp_path}: is a directory (name the source files in it)\n"

