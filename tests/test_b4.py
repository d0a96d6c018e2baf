"""b4 integration: ``--format b4`` for ``b4.prep-perpatch-check-cmd`` /
``b4.am-perpatch-check-cmd`` and ``--format b4-review`` for
``b4.review-perpatch-check-cmd``.

First the contract as ECOSYSTEM.md states it (in-process); then the real b4
from PyPI driving reviewbot in throwaway repositories, offline
(``--offline-mode``, and proxies pointed at a closed loopback port):
``b4 prep --check`` and ``b4 am --check`` as subprocesses, and b4's own
``review.checks`` code (the TUI's engine; the TUI itself needs a terminal
and lore) running the review command and storing its results.  The real-b4
tests skip when b4 is not installed (``pip install b4``)."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.formats import Report, format_b4
from reviewbot.model import Finding, Message, Patch, PatchReview, Severity, SubjectTags
from reviewbot.rules.loader import RuleSet
from tests.gitrepo import CLEAN, ROOT, SWAP, commit, edit, git

HYP = "arch/arm64/kvm/hyp/switch.S"
SWAP_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
CLEAN_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmrs\tx0, tpidr_el2\n \tret\n"
WARNING_HUNK = "@@ -1,2 +1,4 @@\n foo:\n+\tmrs\tx1, tpidr_el1\n+\tadd\tx0, x0, x1\n \tret\n"
COVER = ("From: Ada <ada@example.org>\nSubject: [PATCH 0/2] KVM: arm64: a series\n"
         "Message-Id: <cover@x>\n\nA cover letter, no diff.\n")
REVIEWBOT = f"{shlex.quote(sys.executable)} -m reviewbot check"


def run_stdin(capsys, monkeypatch, data: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the contract, in-process --------------------------------------------------------------


def test_b4_clean_patch_prints_nothing(capsys, monkeypatch, patch_factory):
    assert run_stdin(capsys, monkeypatch, patch_factory(HYP, CLEAN_HUNK), "--format", "b4") == (0, "", "")


def test_b4_error_lines_say_error_and_stdin_is_the_default(capsys, monkeypatch, patch_factory):
    code, out, err = run_stdin(capsys, monkeypatch, patch_factory(HYP, SWAP_HUNK), "--format", "b4")
    assert (code, err) == (1, "")
    assert out.startswith(f"ERROR: {HYP}:2: [arm64.sysreg.msr-mrs-operand-order] operands of 'msr'")
    assert len(out.splitlines()) == 1


def test_b4_warning_lines_never_contain_error(capsys, monkeypatch, patch_factory):
    code, out, err = run_stdin(capsys, monkeypatch, patch_factory(HYP, WARNING_HUNK), "--format", "b4")
    assert (code, err) == (0, "")
    assert out.startswith(f"WARNING: {HYP}:2: [arm64.hyp.el1-percpu-offset]") and "ERROR:" not in out


def test_b4_cover_letter_is_silent(capsys, monkeypatch):
    for fmt, expected in (("b4", ""), ("b4-review", "[]\n")):
        assert run_stdin(capsys, monkeypatch, COVER, "--format", fmt) == (0, expected, "")


def test_b4_trouble_is_a_warning_on_stdout_never_stderr(capsys, monkeypatch, patch_factory):
    broken = patch_factory(HYP, "@@ -1,5 +1,6 @@\n foo:\n+\tnop\n")
    code, out, err = run_stdin(capsys, monkeypatch, broken, "--format", "b4")
    assert (code, err) == (2, "")
    assert out.startswith("WARNING: reviewbot could not check: <stdin>: ") and "ERROR:" not in out
    assert "shorter than its header says" in out


def test_b4_format_defuses_error_in_warning_text():
    message = Message(msgid=None, subject="", sender="", source="p")
    patch = Patch(message=message, tags=SubjectTags(title=""), commit_message="", files=())
    finding = Finding(rule_id="x.y", severity=Severity.WARNING, message="quotes 'ERROR: foo'\nover lines",
                      path="a.S", line=3)
    out = format_b4(Report(reviews=(PatchReview(patch=patch, findings=(finding,)),), rules=RuleSet(())))
    assert out == "WARNING: a.S:3: [x.y] quotes 'ERROR : foo' over lines\n"


def test_b4_review_clean_is_an_empty_array(capsys, monkeypatch, patch_factory):
    assert run_stdin(capsys, monkeypatch, patch_factory(HYP, CLEAN_HUNK), "--format", "b4-review") == (0, "[]\n", "")


def test_b4_review_one_result_for_the_tool(capsys, monkeypatch, patch_factory):
    both = "@@ -1,2 +1,5 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n+\tmrs\tx1, tpidr_el1\n+\tadd\tx0, x0, x1\n \tret\n"
    code, out, err = run_stdin(capsys, monkeypatch, patch_factory(HYP, both), "--format", "b4-review")
    assert (code, err) == (1, "")
    (result,) = json.loads(out)
    assert set(result) == {"tool", "status", "summary", "url", "details"}
    assert (result["tool"], result["status"], result["summary"]) == ("reviewbot", "fail", "1 error, 1 warning")
    details = json.loads(result["details"])
    assert [d["status"] for d in details] == ["fail", "warn"]
    assert details[0]["description"].startswith(f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order]")
    assert details[0]["srcline"] == "msr\tx0, tpidr_el2"
    code, out, _ = run_stdin(capsys, monkeypatch, patch_factory(HYP, WARNING_HUNK), "--format", "b4-review")
    assert code == 0 and json.loads(out)[0]["status"] == "warn"


# --- the real b4 ------------------------------------------------------------------------------

B4 = [sys.executable, "-c", "import sys; from b4.command import cmd; sys.exit(cmd())"]


def _b4_available() -> bool:
    try:
        import b4.command  # noqa: F401
    except ImportError:
        return False
    return True


needs_b4 = pytest.mark.skipif(not _b4_available(), reason="b4 is not installed (pip install b4)")


@pytest.fixture
def b4_env(isolated_git, monkeypatch) -> dict[str, str]:
    """b4's environment: no user git config, XDG dirs in tmp, reviewbot on
    PYTHONPATH, and every proxy a closed loopback port (offline for sure).
    Commits get today's date: b4 looks for its cover commit in the last year."""
    env = dict(isolated_git)
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        env.pop(name, None)
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env["no_proxy"] = env["NO_PROXY"] = ""
    return env


def b4(repo: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*B4, "--offline-mode", *args], cwd=repo, env=env, capture_output=True, text=True,
                          input=stdin, timeout=300)


def prep_branch(repo: Path, env: dict[str, str]) -> None:
    git(repo, "config", "user.name", "Ada Author")
    git(repo, "config", "user.email", "ada@example.org")
    proc = b4(repo, env, "prep", "-n", "hyp-fixes")
    assert proc.returncode == 0, proc.stderr


@needs_b4
def test_b4_prep_check_runs_reviewbot(kernel_repo, b4_env):
    prep_branch(kernel_repo, b4_env)
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", CLEAN)
    commit(kernel_repo, "KVM: arm64: Read tpidr_el2 the right way")
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", ("\tret\n", "\tmsr\tx1, tpidr_el2\n\tret\n"))
    commit(kernel_repo, "KVM: arm64: Read it the wrong way")
    git(kernel_repo, "config", "b4.prep-perpatch-check-cmd", f"{REVIEWBOT} --format b4")
    proc = b4(kernel_repo, b4_env, "prep", "--check")
    output = proc.stdout + proc.stderr
    assert "Success: 1, Warning: 0, Error: 1" in output, output
    assert "ERROR: arch/arm64/kvm/hyp/entry.S:8: [arm64.sysreg.msr-mrs-operand-order]" in output
    assert "reviewbot: error" not in output  # nothing came on stderr


@needs_b4
def test_b4_prep_check_from_the_repositorys_b4_config(kernel_repo, b4_env):
    """A project can ship the check to every contributor in .b4-config."""
    prep_branch(kernel_repo, b4_env)
    (kernel_repo / ".b4-config").write_text(
        f"[b4]\n\tprep-perpatch-check-cmd = {REVIEWBOT} --format b4\n")
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", SWAP)
    commit(kernel_repo, "KVM: arm64: swap")
    proc = b4(kernel_repo, b4_env, "prep", "--check")
    assert "Success: 0, Warning: 0, Error: 1" in proc.stdout + proc.stderr


@needs_b4
def test_b4_am_check_runs_reviewbot(kernel_repo, b4_env, tmp_path):
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", SWAP)
    commit(kernel_repo, "KVM: arm64: swap")
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(kernel_repo, "format-patch", "--stdout", "--thread", "-n", "HEAD~1.."))
    git(kernel_repo, "config", "b4.am-perpatch-check-cmd", f"{REVIEWBOT} --format b4")
    proc = b4(kernel_repo, b4_env, "am", "-m", str(mbox), "--check", "-o", str(tmp_path / "am"))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "ERROR: arch/arm64/kvm/hyp/entry.S:7: [arm64.sysreg.msr-mrs-operand-order]" in output


REVIEW_DRIVER = textwrap.dedent("""
    import email, json, sys
    import b4
    import b4.review.checks as checks
    b4._setup_main_config()  # what b4's command line does first
    perpatch, series = checks.load_check_cmds()
    topdir = b4.git_get_toplevel()
    msgs = []
    for name in sys.argv[1:]:
        with open(name, 'rb') as fh:
            msg = email.message_from_binary_file(fh, policy=b4.emlpolicy)
        msgs.append((msg['Message-Id'].strip('<>'), msg))
    results = checks.run_perpatch_checks(msgs[1:], perpatch, topdir)
    results['series'] = checks.run_series_checks(msgs[0], series, topdir)
    conn = checks.get_db()
    for mid, res in results.items():
        if mid != 'series':
            checks.store_results(conn, mid, res)
    results['cached'] = checks.get_cached_results(conn, [m for m, _ in msgs[1:]])
    print(json.dumps(results))
""")


@needs_b4
def test_b4_review_checks_read_reviewbots_json(kernel_repo, b4_env, tmp_path):
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", CLEAN)
    commit(kernel_repo, "KVM: arm64: clean")
    edit(kernel_repo, "arch/arm64/kvm/hyp/entry.S", ("\tret\n", "\tmsr\tx1, tpidr_el2\n\tret\n"))
    commit(kernel_repo, "KVM: arm64: swap")
    outdir = tmp_path / "out"
    git(kernel_repo, "format-patch", "-q", "--cover-letter", "--thread", "-o", str(outdir), "HEAD~2..")
    git(kernel_repo, "config", "b4.review-perpatch-check-cmd", f"{REVIEWBOT} --format b4-review")
    git(kernel_repo, "config", "b4.review-series-check-cmd", f"{REVIEWBOT} --format b4-review")
    proc = subprocess.run([sys.executable, "-c", REVIEW_DRIVER, *map(str, sorted(outdir.glob("*.patch")))],
                          cwd=kernel_repo, env=b4_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results.pop("series") == []  # the cover letter: nothing to report
    cached = results.pop("cached")
    clean, swap = results.values()
    assert clean == []
    (result,) = swap
    assert (result["tool"], result["status"], result["summary"]) == ("reviewbot", "fail", "1 error")
    assert json.loads(result["details"])[0]["description"].startswith(
        "arch/arm64/kvm/hyp/entry.S:8: error: [arm64.sysreg.msr-mrs-operand-order]")
    assert list(cached.values()) == [[result]]  # b4 stores one row per tool and patch


def test_readme_shows_the_git_config_lines():
    readme = (ROOT / "README.md").read_text()
    for key in ("b4.prep-perpatch-check-cmd", "b4.am-perpatch-check-cmd", "b4.review-perpatch-check-cmd"):
        assert f"git config --add {key}" in readme
