"""``reviewbot check --git [RANGE]``, the default check of a checkout's
uncommitted changes, and the git plumbing under them (precheck.py), in
real throwaway repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analysis import git as precheck
from reviewbot.errors import InputError
from tests.conftest import ROOT, run_cli
from tests.gitrepo import CLEAN, SWAP, commit, edit, git, make_series, write

ENTRY = "arch/arm64/kvm/hyp/entry.S"
SWAP_AT = f"{ENTRY}:7: error: [arm64.sysreg.msr-mrs-operand-order]"


@pytest.fixture
def in_repo(kernel_repo, monkeypatch):
    monkeypatch.chdir(kernel_repo)
    return kernel_repo


# --- --git RANGE --------------------------------------------------------------------------


def test_git_range_checks_the_commits_like_their_format_patch_files(capsys, in_repo, tmp_path):
    make_series(in_repo)
    edit(in_repo, ENTRY, SWAP)
    commit(in_repo, "KVM: arm64: swap")
    code, out, err = run_cli(capsys, "check", "-q", "--git", "HEAD~3..")  # -q: no headers naming inputs
    assert (code, err) == (1, "")
    # issue 15: the literal's use is reported by missing-kern-hyp-va, no longer by kernel-va-literal
    assert SWAP_AT in out and "el1-percpu-offset" in out and "missing-kern-hyp-va" in out
    git(in_repo, "format-patch", "-q", "-o", str(tmp_path / "out"), "HEAD~3..")
    assert run_cli(capsys, "check", "-q", str(tmp_path / "out")) == (code, out, err)


def test_git_range_of_one_commit_means_since(capsys, in_repo):
    edit(in_repo, ENTRY, SWAP)
    commit(in_repo, "swap")
    assert run_cli(capsys, "check", "--git", "HEAD~1")[0] == 1
    assert run_cli(capsys, "check", "--git", "HEAD~1..HEAD~1") == (
        0, "", f"reviewbot: note: --git HEAD~1..HEAD~1: no commits to check in {in_repo}\n")


def test_commit_message_findings_name_the_commit(capsys, in_repo):
    edit(in_repo, ENTRY, CLEAN)
    sha = commit(in_repo, "clean")
    code, out, _ = run_cli(capsys, "check", "--git", "HEAD~1..", "--format", "json")
    import json
    doc = json.loads(out)
    assert doc["inputs"][0]["source"] == sha[:12] and code == 0


def test_bad_range_is_one_line_naming_it(capsys, in_repo):
    code, out, err = run_cli(capsys, "check", "--git", "nosuchbranch..")
    assert (code, out) == (2, "")
    assert err == "reviewbot: error: --git nosuchbranch..: git: bad revision 'nosuchbranch..'\n"
    code, _, err = run_cli(capsys, "check", "--git=--output=/tmp/x")
    assert code == 2 and err.startswith("reviewbot: error: --git '--output=/tmp/x': not a revision range")


def test_git_outside_a_checkout(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "check", "--git", "HEAD~1..")
    assert (code, out) == (2, "")
    assert err == (f"reviewbot: error: --git: {tmp_path} is not inside a git checkout "
                   "(run it in your kernel tree, or name one with --tree PATH)\n")
    code, _, err = run_cli(capsys, "check")
    assert code == 2 and err.startswith("reviewbot: error: nothing to check: name patch files")


def test_git_with_patch_files_is_a_usage_error(capsys, in_repo):
    code, _, err = run_cli(capsys, "check", "--git", "HEAD~1..", "x.patch")
    assert code == 2 and "--git checks commits or uncommitted changes" in err


def test_git_range_in_a_checkout_named_with_tree(capsys, monkeypatch, kernel_repo, tmp_path):
    edit(kernel_repo, ENTRY, SWAP)
    commit(kernel_repo, "swap")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "check", "--tree", str(kernel_repo), "--git", "HEAD~1..")
    assert code == 1 and SWAP_AT in out


def test_the_users_git_configuration_does_not_change_what_is_read(capsys, in_repo, monkeypatch):
    for key, value in [("diff.noprefix", "true"), ("color.ui", "always"), ("diff.relative", "true"),
                       ("diff.external", "false"), ("format.signature", "x\ny\nz\nw"),
                       ("format.useAutoBase", "true"), ("core.quotePath", "true")]:
        git(in_repo, "config", key, value)
    edit(in_repo, ENTRY, SWAP)
    commit(in_repo, "swap")
    monkeypatch.chdir(in_repo / "arch")
    assert SWAP_AT in run_cli(capsys, "check", "--git", "HEAD~1..")[1]
    edit(in_repo, ENTRY, ("\tret\n", "\tmsr\tx1, tpidr_el2\n\tret\n"))
    assert f"{ENTRY}:8: error" in run_cli(capsys, "check")[1]


# --- the checkout's uncommitted changes --------------------------------------------------------


def test_no_arguments_in_a_checkout_checks_staged_and_unstaged_changes(capsys, in_repo):
    edit(in_repo, ENTRY, SWAP)
    git(in_repo, "add", ENTRY)  # staged
    edit(in_repo, "arch/arm64/kernel/hyp-stub.S", ("ENTRY(__foo)\n", "ENTRY(__foo)\n\tmsr\tmidr_el1, x0\n"))
    code, out, err = run_cli(capsys, "check")
    assert (code, err) == (1, "")
    assert SWAP_AT in out
    assert "arch/arm64/kernel/hyp-stub.S:35: error: [arm64.sysreg.write-to-read-only]" in out
    assert run_cli(capsys, "check", "--git") == (code, out, err)


def test_a_clean_checkout_has_nothing_to_check(capsys, in_repo, monkeypatch):
    from reviewbot.commands import check_inputs

    monkeypatch.setattr(check_inputs, "_stdin_carries_data", lambda: False)  # whatever runs the tests
    assert run_cli(capsys, "check") == (
        0, "", f"reviewbot: note: no staged or unstaged changes to check in {in_repo} "
               "(a new file counts once it is added, or 'git add -N')\n")


def test_a_pipe_into_check_without_dash_is_pointed_at(in_repo, tmp_path):
    # `git show | reviewbot check` in a checkout checks the uncommitted changes, and says
    # that what is piped in needs '-'
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    piped = tmp_path / "show.txt"
    piped.write_bytes(b"diff --git a/x b/x\n")
    with piped.open("rb") as stdin:  # a file, not a pipe: nothing races the check
        proc = subprocess.run([sys.executable, "-m", "reviewbot", "check"], stdin=stdin,
                              cwd=in_repo, env=env, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert b"standard input is not read without '-'" in proc.stderr


def test_a_branch_without_commits(capsys, monkeypatch, tmp_path, isolated_git):
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, {ENTRY: "foo:\n\tmsr\tx0, tpidr_el2\n\tret\n"})
    git(repo, "add", ENTRY)
    monkeypatch.chdir(repo)
    code, out, _ = run_cli(capsys, "check")
    assert code == 1 and out.startswith(f"{ENTRY}:2: error: [arm64.sysreg.msr-mrs-operand-order]")


def test_stdin_is_still_read_only_when_asked(capsys, in_repo, monkeypatch):
    import io
    import sys
    diff = f"diff --git a/{ENTRY} b/{ENTRY}\n--- a/{ENTRY}\n+++ b/{ENTRY}\n@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(diff.encode())))
    assert run_cli(capsys, "check", "-")[0] == 1


# --- plumbing --------------------------------------------------------------------------------------


def test_cat_file_batch_keeps_blobs_only(kernel_repo):
    blob = git(kernel_repo, "rev-parse", "HEAD:Makefile").strip()
    tree = git(kernel_repo, "rev-parse", "HEAD:arch").strip()
    found = precheck.cat_file_batch(kernel_repo, [blob[:9], tree, "0123456", blob])
    assert set(found) == {blob[:9], blob}
    assert found[blob].startswith(b"# SPDX-License-Identifier")


def test_cat_file_batch_outside_a_repository_gives_nothing(tmp_path, isolated_git):
    assert precheck.cat_file_batch(tmp_path, ["0123456"]) == {}


def test_git_errors_name_what_was_asked(tmp_path, isolated_git):
    with pytest.raises(InputError) as info:
        precheck.git(tmp_path, ["rev-parse", "HEAD"], what="the thing")
    assert str(info.value).startswith("the thing: git: not a git repository")


def test_first_line():
    assert precheck.first_line(b"\n  fatal: bad revision 'x'\nhint: y\n") == "bad revision 'x'"
    assert precheck.first_line(b"") == ""


def test_hooks_dir_honours_core_hooks_path(kernel_repo):
    assert precheck.hooks_dir(kernel_repo) == (kernel_repo / ".git" / "hooks").resolve()
    git(kernel_repo, "config", "core.hooksPath", "my-hooks")
    assert precheck.hooks_dir(kernel_repo) == (kernel_repo / "my-hooks").resolve()
    git(kernel_repo, "config", "core.hooksPath", str(Path("/srv/hooks")))
    assert precheck.hooks_dir(kernel_repo) == Path("/srv/hooks")
