"""``reviewbot b4-agent``: reviewbot as b4's review agent.

b4 from PyPI builds a real review branch from a real series (its
``LoreMailbox``, ``git_fetch_am_into_repo`` and ``create_review_branch``),
a reviewer marks one patch skip, b4's agent invocation runs reviewbot, and
b4's own reader (``_integrate_agent_reviews``) takes the files back into
the tracking commit.  The series: patch 1 swaps msr's operands in hyp code
(an error), patch 2 is clean, patch 3 loads a kernel VA from the literal
pool in a hyp section (a warning on a 5.10 tree) but is marked skip.
See tests/b4_review_branch.py for b4's side.
"""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import (
    BASE_FILES, MAKEFILE, STUB_LITERAL, SWAP, commit, edit, git, make_kernel_repo, reviewbot_cmd,
)
from reviewbot.bot import b4_agent

B4_SIDE = [sys.executable, str(Path(__file__).with_name("b4_review_branch.py"))]
BRANCH = "b4/review/hyp-fixes"
CLEAN_CHANGE = ("ENTRY(__foo)\n\tret\n", "ENTRY(__foo)\n\tisb\n\tret\n")
MSR_LINE = "+\tmsr\tx0, tpidr_el2"
LITERAL_LINE = "+\tldr\tx1, =kvm_host_cpu_state"

pytest.importorskip("b4.review", reason="b4 is not installed (pip install b4)")


@pytest.fixture
def b4_env(tmp_path: Path, isolated_git: dict[str, str]) -> dict[str, str]:
    """b4's environment: no user git configuration, XDG directories in
    tmp, every proxy a closed loopback port (offline for sure), and
    ``reviewbot`` on PATH as this checkout's."""
    env = dict(isolated_git)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env["no_proxy"] = env["NO_PROXY"] = ""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "reviewbot"
    shim.write_text(f"#!/bin/sh\nexec {' '.join(reviewbot_cmd())} \"$@\"\n")
    shim.chmod(0o755)
    env["PATH"] = f"{bindir}:{env['PATH']}"
    return env


def b4_side(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run b4's side in the repository (``args[1]``), where b4 always runs."""
    proc = subprocess.run([*B4_SIDE, *args], cwd=args[1], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture
def review_branch(tmp_path: Path, b4_env: dict[str, str]) -> Path:
    """A 5.10 kernel tree with the review branch of a three-patch series
    checked out, patch 3 marked skip."""
    repo = make_kernel_repo(tmp_path / "linux", {**BASE_FILES, "Makefile": MAKEFILE.format(5, 10),
                                                  "MAINTAINERS": "KVM/arm64\n"})
    git(repo, "config", "user.name", "Mae Maintainer")
    git(repo, "config", "user.email", "mae@example.org")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "contrib")
    edit(repo, "arch/arm64/kvm/hyp/entry.S", SWAP)
    commit(repo, "KVM: arm64: Save the per-cpu offset on guest exit")
    edit(repo, "arch/arm64/kernel/hyp-stub.S", CLEAN_CHANGE)
    commit(repo, "arm64: Synchronise the context in __foo")
    edit(repo, "arch/arm64/kernel/hyp-stub.S", STUB_LITERAL)
    commit(repo, "arm64: Find __foo's data with a literal")
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(repo, "format-patch", "--stdout", "--cover-letter", "--thread", f"--base={base}",
                        "--to=kvmarm@lists.linux.dev", f"{base}..contrib"))
    git(repo, "checkout", "-q", "master")
    b4_side(b4_env, "create", str(repo), str(mbox), base, BRANCH, "2")
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH
    git(repo, "config", "b4.review-agent-command", "reviewbot b4-agent")
    git(repo, "config", "b4.review-agent-prompt-path", "MAINTAINERS")
    return repo


def agent_dir(repo: Path) -> Path:
    return repo / ".git" / "b4-review" / git(repo, "rev-parse", "HEAD").strip()


def commit_diff(repo: Path, number: int) -> str:
    """``git diff <sha>~1 <sha>`` of patch ``number`` (1-based), as the agent quotes it."""
    sha = git(repo, "rev-parse", f"HEAD~{4 - number}").strip()
    return git(repo, "diff", "--full-index", "--no-color", f"{sha}~1", sha)


@pytest.mark.integration
def test_b4_runs_reviewbot_and_reads_its_review_back(review_branch, b4_env):
    repo = review_branch
    tip = git(repo, "rev-parse", "HEAD").strip()
    b4_side(b4_env, "agent", str(repo))
    out = agent_dir(repo)
    assert sorted(p.name for p in out.iterdir()) == ["0001.txt", "identity.txt", "series.txt"]

    # identity.txt: Name <email>, as b4 parses it
    assert email.utils.parseaddr((out / "identity.txt").read_text().strip()) == ("reviewbot", "reviewbot@localhost")
    # series.txt: summary line, blank line, body; the skipped patch is not in the count
    series = (out / "series.txt").read_text()
    summary, blank, *body = series.split("\n")
    assert summary == "reviewbot: 1 error in 1 of 2 reviewed patches" and blank == ""
    assert "Skipped as marked: 0003" in body
    assert "Kernel 5.10 assumed (from the Makefile at base-commit" in series
    # 0001.txt: a note, then every diff line quoted, the comment under the msr line
    text = (out / "0001.txt").read_text()
    note, _, quoted = text.partition("\n> diff --git ")
    assert note.startswith("reviewbot: 1 error\n")
    quoted = "> diff --git " + quoted
    diff = commit_diff(repo, 1)
    assert [line[2:] if line.startswith("> ") else line[1:]
            for line in quoted.split("\n") if line.startswith(">")] == diff.rstrip("\n").split("\n")
    lines = quoted.split("\n")
    at = lines.index("> " + MSR_LINE)
    assert lines[at + 1] == "" and "msr" in lines[at + 2] and "[arm64.sysreg.msr-mrs-operand-order, error]" in lines

    # b4 reads it back into the tracking commit, amends the tip and consumes the directory
    result = json.loads(b4_side(b4_env, "integrate", str(repo), BRANCH).stdout)
    assert result["integrated"] is True
    tracking = result["tracking"]
    assert tracking["series"]["reviews"]["reviewbot@localhost"]["note"].startswith("reviewbot: 1 error in 1 of 2")
    review1 = tracking["patches"][0]["reviews"]["reviewbot@localhost"]
    assert review1["note"].startswith("reviewbot: 1 error")
    [comment] = review1["comments"]
    # b4 keeps the "b/" of the diff's +++ line in the path it stores
    assert comment["path"].endswith("arch/arm64/kvm/hyp/entry.S") and comment["content"] == MSR_LINE
    new_line = next(int(l.split("+")[1].split(",")[0]) for l in diff.split("\n") if l.startswith("@@"))
    hunk = diff.split("\n@@")[1].split("\n")[1:]
    assert comment["line"] == new_line + [l for l in hunk if not l.startswith("-")].index(MSR_LINE)
    assert "[arm64.sysreg.msr-mrs-operand-order, error]" in comment["text"]
    assert "reviews" not in tracking["patches"][1]  # clean: no file, nothing stored
    assert set(tracking["patches"][2]["reviews"]) == {"mae@example.org"}  # skipped: only the skip mark
    assert git(repo, "rev-parse", "HEAD").strip() != tip and not out.exists()


@pytest.mark.integration
def test_a_skipped_patch_would_have_had_a_finding(review_branch, b4_env):
    """The skip is what keeps patch 3 out: unmarked, it gets its file."""
    repo = review_branch
    proc = subprocess.run([*reviewbot_cmd(), "b4-agent"], cwd=repo, env=b4_env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (agent_dir(repo) / "0003.txt").exists()
    assert "reviewbot: 1 error in 1 of 2 reviewed patches" in proc.stdout
    cover, tracking = b4_agent.parse_tracking(git(repo, "log", "-1", "--format=%B"))
    del tracking["patches"][2]["reviews"]
    message = f"{cover}\n\n{b4_agent.MARKER}\n# comment\n{json.dumps(tracking, indent=2)}\n"
    git(repo, "commit", "-q", "--allow-empty", "--amend", "-F", "-", stdin=message)
    proc = subprocess.run([*reviewbot_cmd(), "b4-agent"], cwd=repo, env=b4_env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = (agent_dir(repo) / "0003.txt").read_text()
    # The literal's kernel VA is followed to where hyp code uses it as an
    # address (missing-kern-hyp-va); kernel-va-literal no longer speaks on
    # an `ldr =sym` (issue 15: that window misfired on real mail).
    assert "> " + LITERAL_LINE + "\n" in text and "[arm64.hyp.missing-kern-hyp-va, error]" in text


@pytest.mark.integration
def test_the_series_does_not_configure_its_own_review(review_branch, b4_env):
    """A .reviewbot.yaml in the work tree (which holds the series) is not
    read; the base commit's is, and -c still wins over it."""
    repo = review_branch
    (repo / ".reviewbot.yaml").write_text("rules:\n  ignore: [arm64.sysreg]\n")
    run = [*reviewbot_cmd(), "b4-agent", "Read and execute the prompt from MAINTAINERS"]
    proc = subprocess.run(run, cwd=repo, env=b4_env, capture_output=True, text=True)
    assert proc.returncode == 0 and "1 error in 1 of 2" in proc.stdout, proc.stderr
    proc = subprocess.run([*run, "-c", "rules.ignore=[arm64.sysreg]"], cwd=repo, env=b4_env,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "no findings in 2 reviewed patches" in proc.stdout, proc.stderr
    assert not (agent_dir(repo) / "0001.txt").exists()  # the earlier run's file is gone


def test_not_a_review_branch_is_a_clear_error(kernel_repo, isolated_git):
    proc = subprocess.run([*reviewbot_cmd(), "b4-agent"], cwd=kernel_repo, env=isolated_git,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("reviewbot: error: HEAD (master, ")
    assert "not a b4 review branch: its commit message has no '--- b4-review-tracking ---' line" in proc.stderr
    assert not (kernel_repo / ".git" / "b4-review").exists()


def test_a_repository_without_a_commit_says_so(tmp_path, isolated_git):
    repo = tmp_path / "new"
    subprocess.run(["git", "init", "-q", str(repo)], env=isolated_git, check=True)
    for argv in (["b4-agent"], ["check", "--git", "-1"]):
        proc = subprocess.run([*reviewbot_cmd(), *argv], cwd=repo, env=isolated_git, capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.endswith(": the repository has no commit yet (HEAD names none)\n"), proc.stderr


# --- the pure part, with strings ------------------------------------------------------------

DIFF = """\
diff --git a/arch/arm64/kvm/hyp/entry.S b/arch/arm64/kvm/hyp/entry.S
index 1111111..2222222 100644
--- a/arch/arm64/kvm/hyp/entry.S
+++ b/arch/arm64/kvm/hyp/entry.S
@@ -1,3 +1,4 @@
 ENTRY(__guest_exit)
+\tmsr\tx0, tpidr_el2
 \tret
 ENDPROC(__guest_exit)
"""


def branch_patch(**kw) -> b4_agent.BranchPatch:
    fields = dict(number=1, sha="a" * 40, author="Ada <ada@example.org>", date="Mon, 8 Jan 2018 12:00:00 +0000",
                  subject="KVM: arm64: x", body="Body.\n", diff=DIFF)
    return b4_agent.BranchPatch(**{**fields, **kw})


def test_tracking_is_read_as_b4_reads_it():
    cover, data = b4_agent.parse_tracking(
        'Cover\n\n--- b4-review-tracking ---\n# comment\n{"series": {"base-commit": "b"}, "patches": []}\n')
    assert cover == "Cover" and data["series"] == {"base-commit": "b"}
    for message, problem in (("no marker", "has no '--- b4-review-tracking ---' line"),
                             ("x\n--- b4-review-tracking ---\n{", "does not parse"),
                             ("x\n--- b4-review-tracking ---\n[]", "no 'series' object")):
        with pytest.raises(b4_agent.TrackingError, match=problem):
            b4_agent.parse_tracking(message)
    assert b4_agent.patch_range({"first-patch-commit": "f", "base-commit": "b"}, "t") == "f~1..t~1"
    assert b4_agent.patch_range({"base-commit": "b"}, "t") == "b..t~1"


def test_skip_is_any_reviewers_patch_state():
    assert b4_agent.is_skipped({"reviews": {"m@x": {"patch-state": "skip"}}})
    assert not b4_agent.is_skipped({"reviews": {"m@x": {"patch-state": "done"}}})
    assert not b4_agent.is_skipped({"title": "t"}) and not b4_agent.is_skipped({"reviews": []})


def test_patch_file_keeps_every_diff_line_and_b4_finds_each_comment_under_its_line():
    from b4.review import _extract_comments_from_quoted_reply
    from reviewbot.model import Finding, PatchReview, Severity

    bp = branch_patch()
    patch = b4_agent.to_patch(bp, 1, None)
    assert patch.error is None and patch.commit_message == "Body."
    on_line = Finding(rule_id="r.line", severity=Severity.ERROR, message="> looks like a quote", path=patch.files[0].path,
                      line=2)
    on_message = Finding(rule_id="r.msg", severity=Severity.WARNING, message="the commit message says nothing")
    suppressed = Finding(rule_id="r.off", severity=Severity.ERROR, message="x", path=patch.files[0].path, line=2,
                         suppressed="rules.per-path-ignores")
    text = b4_agent.patch_file(PatchReview(patch=patch, findings=(on_line, on_message, suppressed)), bp)
    note, _, quoted = text.partition("\n> diff --git ")
    assert note.startswith("reviewbot: 1 error, 1 warning\n") and "the commit message says nothing" in note
    assert "r.off" not in text
    quoted_lines = [line for line in ("> diff --git " + quoted).split("\n") if line.startswith(">")]
    assert [line[2:] for line in quoted_lines] == DIFF.rstrip("\n").split("\n")
    [comment] = _extract_comments_from_quoted_reply("> diff --git " + quoted)
    assert (comment["path"], comment["line"], comment["content"]) == (
        "b/arch/arm64/kvm/hyp/entry.S", 2, "+\tmsr\tx0, tpidr_el2")  # b4 keeps the "b/"
    assert comment["text"].startswith("> looks like a quote") and "[r.line, error]" in comment["text"]


def test_clean_or_unreadable_patches():
    from reviewbot.model import PatchReview

    bp = branch_patch()
    assert b4_agent.patch_file(PatchReview(patch=b4_agent.to_patch(bp, 1, None)), bp) is None
    broken = branch_patch(diff=DIFF.replace("@@ -1,3 +1,4 @@", "@@ -1,9 +1,9 @@"))
    patch = b4_agent.to_patch(broken, 1, None)
    assert patch.error
    text = b4_agent.patch_file(PatchReview(patch=patch, problems=(f"{patch.name}: {patch.error}",)), broken)
    assert text.startswith("reviewbot could not review all of this patch\n\nNot reviewed: patch 1/1")
    assert [line[2:] for line in text.split("\n") if line.startswith("> ")] == broken.diff.rstrip("\n").split("\n")


def test_the_disclosure_names_reviewbot_whatever_the_bot_is_called():
    from reviewbot import __version__
    from reviewbot.analysis.kernels import Era

    plain = b4_agent.series_file([], [], Era(None), rules_version="r1")
    assert f"Written by reviewbot {__version__}, rules r1: a rules-based checker, not a language model." \
        in " ".join(plain.split())
    named = b4_agent.series_file([], [], Era(None), rules_version="r1", tool_name="KVMbot")
    # the version is reviewbot's: it was written as KVMbot's
    assert f"Written by KVMbot (reviewbot {__version__}), rules r1: a rules-based checker" in " ".join(named.split())
