"""``reviewbot install-hook`` driven by the real ``git send-email --dry-run``
(Debian's git-email) in throwaway repositories: a series with an error is
refused before anything is sent, a clean one passes, an existing hook is
kept and called, core.hooksPath is honoured, and nothing changes.

Skipped when git send-email is missing, except under CI=true, where that is
a failure (.ci/run installs git-email)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.analysis.git import HOOK_MARKER
from tests.conftest import run_cli
from tests.gitrepo import CLEAN, SWAP, commit, edit, git, make_series

pytestmark = pytest.mark.integration

ENTRY = "arch/arm64/kvm/hyp/entry.S"
HOOK = Path(".git/hooks/sendemail-validate")


def _send_email_available() -> bool:
    proc = subprocess.run(["git", "--exec-path"], capture_output=True, text=True)
    return proc.returncode == 0 and (Path(proc.stdout.strip()) / "git-send-email").exists()


@pytest.fixture(autouse=True)
def _need_send_email():
    if not _send_email_available():
        reason = "git send-email is not installed (Debian package git-email; .ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


@pytest.fixture
def repo(kernel_repo, monkeypatch):
    monkeypatch.chdir(kernel_repo)
    return kernel_repo


def install(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["install-hook", *args])
    out, err = capsys.readouterr()
    return code, out, err


def send(repo: Path, isolated_git: dict[str, str], *patches: Path) -> subprocess.CompletedProcess:
    """``git send-email --dry-run`` as an author runs it; reviewbot is not
    on PYTHONPATH here: the hook must find it on its own."""
    env = {k: v for k, v in isolated_git.items() if k != "PYTHONPATH"}
    return subprocess.run(
        ["git", "send-email", "--dry-run", "--confirm=never", "--suppress-cc=all",
         "--from=Ada Author <ada@example.org>", "--to=kvmarm@lists.linux.dev",
         "--8bit-encoding=UTF-8", *map(str, patches)],
        cwd=repo, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def series(repo: Path, tmp_path: Path, rev_range: str, name: str = "out") -> list[Path]:
    outdir = tmp_path / name
    git(repo, "format-patch", "-q", "--cover-letter", "-o", str(outdir), rev_range)
    cover = outdir / "0000-cover-letter.patch"
    cover.write_text(cover.read_text().replace("*** SUBJECT HERE ***", "KVM: arm64: a series")
                     .replace("*** BLURB HERE ***", "What the series does."))
    return sorted(outdir.glob("*.patch"))


def snapshot(repo: Path) -> tuple:
    files = sorted((p.relative_to(repo).as_posix(), p.stat().st_size, p.read_bytes())
                   for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts)
    return files, git(repo, "for-each-ref"), git(repo, "status", "--porcelain", "--ignored")


# --- the send -------------------------------------------------------------------------------


def test_a_series_with_an_error_is_refused_before_anything_is_sent(capsys, repo, tmp_path, isolated_git):
    assert install(capsys)[0] == 0
    make_series(repo)  # patch 2 has an error-level finding
    patches = series(repo, tmp_path, "HEAD~2..")
    before = snapshot(repo)
    proc = send(repo, isolated_git, *patches)
    assert proc.returncode != 0
    assert "Dry-OK" not in proc.stdout + proc.stderr  # not even the cover letter went out
    assert "arch/arm64/kernel/hyp-stub.S:36: error: [arm64.hyp.missing-kern-hyp-va]" in proc.stderr
    assert "rejected by sendemail-validate hook" in proc.stderr
    assert "nothing was sent" in proc.stderr
    assert snapshot(repo) == before  # the hook changed nothing


def test_a_clean_series_passes(capsys, repo, tmp_path, isolated_git):
    assert install(capsys)[0] == 0
    edit(repo, ENTRY, CLEAN)
    commit(repo, "KVM: arm64: Read tpidr_el2")
    patches = series(repo, tmp_path, "HEAD~1..")
    proc = send(repo, isolated_git, *patches)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout + proc.stderr).count("Dry-OK") == len(patches) == 2


def test_warnings_are_shown_but_do_not_block_unless_asked(capsys, repo, tmp_path, isolated_git):
    edit(repo, "arch/arm64/include/asm/kvm_asm.h", ("\tadd\t\\reg, \\reg, #0\n",
                                                   "\tmrs\t\\tmp, tpidr_el1\n\tadd\t\\reg, \\reg, \\tmp\n"))
    commit(repo, "KVM: arm64: warning only")
    patches = series(repo, tmp_path, "HEAD~1..")
    assert install(capsys)[0] == 0
    proc = send(repo, isolated_git, *patches)
    assert proc.returncode == 0 and "warning: [arm64.hyp.el1-percpu-offset]" in proc.stderr
    code, out, _ = install(capsys, "--fail-on", "warning")
    assert code == 0 and out.startswith("reviewbot: updated:")
    proc = send(repo, isolated_git, *patches)
    assert proc.returncode != 0 and "rejected by sendemail-validate hook" in proc.stderr


def test_an_existing_hook_is_kept_and_called_first(capsys, repo, tmp_path, isolated_git):
    log = tmp_path / "calls.log"
    original = f"#!/bin/sh\necho \"$1\" >> '{log}'\nexit 0\n"
    hook = repo / HOOK
    hook.write_text(original)
    hook.chmod(0o755)
    code, out, _ = install(capsys)
    assert code == 0 and "kept as sendemail-validate.pre-reviewbot" in out
    assert (repo / ".git/hooks/sendemail-validate.pre-reviewbot").read_text() == original
    edit(repo, ENTRY, CLEAN)
    commit(repo, "clean")
    patches = series(repo, tmp_path, "HEAD~1..")
    assert send(repo, isolated_git, *patches).returncode == 0
    assert len(log.read_text().splitlines()) == 2  # once per message
    # the kept hook can still refuse a send reviewbot would let through
    hook.with_name("sendemail-validate.pre-reviewbot").write_text("#!/bin/sh\necho no >&2\nexit 3\n")
    proc = send(repo, isolated_git, *patches)
    assert proc.returncode != 0 and "Dry-OK" not in proc.stdout + proc.stderr
    # reinstalling does not chain reviewbot to itself
    assert install(capsys)[1].startswith("reviewbot: updated:")
    assert not (repo / ".git/hooks/sendemail-validate.pre-reviewbot.pre-reviewbot").exists()
    # uninstalling puts the kept hook back, as it was
    code, out, _ = install(capsys, "--uninstall")
    assert code == 0 and "is the one it had kept again" in out
    assert hook.read_text() == "#!/bin/sh\necho no >&2\nexit 3\n"
    assert not hook.with_name("sendemail-validate.pre-reviewbot").exists()


def test_a_kept_hook_that_is_not_executable_is_not_said_to_run(capsys, repo):
    hook = repo / HOOK
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o644)  # git does not run it, and neither does ours
    code, out, _ = install(capsys)
    assert code == 0 and "it is not executable, so it does not run" in out and "runs first" not in out


def test_core_hooks_path_is_honoured(capsys, repo, tmp_path, isolated_git):
    shared = tmp_path / "shared-hooks"
    git(repo, "config", "core.hooksPath", str(shared))
    code, out, _ = install(capsys)
    assert code == 0 and str(shared / "sendemail-validate") in out
    assert not (repo / HOOK).exists()
    make_series(repo)
    proc = send(repo, isolated_git, *series(repo, tmp_path, "HEAD~2.."))
    assert proc.returncode != 0 and "missing-kern-hyp-va" in proc.stderr
    assert install(capsys, "--uninstall")[0] == 0
    assert not (shared / "sendemail-validate").exists()


@pytest.mark.parametrize("config, message", [
    ("output:\n  fial-on: error\n", "unknown key 'output.fial-on'"),  # a typo
    ("output:\n  fail-on: 12\n", "output.fail-on: expected one of info, warning, error, got 12"),
    ("smtp:\n  host: evil.example.org\n", "'smtp.host': a repository's configuration may not set"),
    ("bot: &a [*a]\n", "refused: an alias refers to the value that contains it"),
])
def test_a_configuration_error_blocks_the_send(capsys, repo, tmp_path, isolated_git, config, message):
    # (before: the hook said "not blocking the send" and a patch with an error went out)
    assert install(capsys)[0] == 0
    (repo / ".reviewbot.yaml").write_text(config)
    edit(repo, ENTRY, SWAP)
    commit(repo, "swap")
    proc = send(repo, isolated_git, *series(repo, tmp_path, "HEAD~1.."))
    assert proc.returncode != 0 and "Dry-OK" not in proc.stdout + proc.stderr
    [line] = [l for l in proc.stderr.splitlines() if l.startswith("reviewbot:")]
    assert line.startswith(f"reviewbot: error: {repo / '.reviewbot.yaml'}: ") and message in line
    assert line.endswith("(nothing was sent: fix this, or send with 'git send-email --no-validate')")


def test_a_message_without_a_readable_patch_passes_with_a_note(capsys, repo, tmp_path, isolated_git):
    assert install(capsys)[0] == 0
    edit(repo, ENTRY, CLEAN)
    commit(repo, "clean")
    [cover, patch] = series(repo, tmp_path, "HEAD~1..")
    text = patch.read_text()
    patch.write_text(text[:text.index("@@")] + "@@ -1,2 +1,3 @@\n garbage\n")  # counts that lie
    proc = send(repo, isolated_git, cover, patch)
    assert proc.returncode == 0, proc.stderr
    assert f"reviewbot: note: {patch.name} has no patch reviewbot can read" in proc.stderr
    # what did not block the send is not called an error
    assert "reviewbot: error:" not in proc.stderr and "shorter than its header" in proc.stderr


def test_what_is_no_message_at_all_is_refused(capsys, repo, tmp_path, isolated_git):
    # the help promises exit 2 for input reviewbot cannot read as a message:
    # a missing, empty or binary file is not a message without a patch
    assert install(capsys)[0] == 0
    binary = tmp_path / "a.out"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    for path in (tmp_path / "missing.eml", binary, empty):
        code, out, err = run_cli(capsys, "hook-check", str(path))
        assert (code, out) == (2, ""), err
        assert err.startswith(f"reviewbot: error: {path}: ") and "nothing was sent" in err
    # the hook passes a file without a diff line at once (nothing to check),
    # but one it cannot read goes on to reviewbot, which refuses it
    hook = subprocess.run(["sh", str(repo / HOOK), str(tmp_path / "missing.eml")], cwd=repo, env=isolated_git,
                          capture_output=True, text=True, timeout=120)
    assert hook.returncode == 1 and "missing.eml: no such file" in hook.stderr, hook.stderr


def test_reviewbot_gone_blocks_the_send(capsys, repo, tmp_path, isolated_git):
    assert install(capsys)[0] == 0
    hook = repo / HOOK
    hook.write_text("\n".join("python=/nonexistent/python3" if line.startswith("python=") else line
                              for line in hook.read_text().splitlines()) + "\n")
    env = {**isolated_git, "PATH": "/usr/bin:/bin"}  # no reviewbot command there
    if subprocess.run(["sh", "-c", "command -v reviewbot"], env=env, capture_output=True).returncode == 0:
        pytest.skip("a reviewbot command is installed system-wide")
    edit(repo, ENTRY, CLEAN)
    commit(repo, "clean")
    proc = send(repo, env, *series(repo, tmp_path, "HEAD~1.."))
    assert proc.returncode != 0 and "Dry-OK" not in proc.stdout + proc.stderr
    assert "reviewbot: not found (/nonexistent/python3 is gone): nothing was sent" in proc.stderr


# --- install and uninstall -------------------------------------------------------------------


def test_uninstall_removes_only_what_reviewbot_installed(capsys, repo):
    assert install(capsys, "--uninstall")[1] == (
        f"reviewbot: no sendemail-validate hook in {repo / '.git/hooks'}; nothing to remove\n")
    foreign = "#!/bin/sh\nexit 0\n"
    (repo / HOOK).write_text(foreign)
    code, out, _ = install(capsys, "--uninstall")
    assert code == 0 and out == f"reviewbot: {repo / HOOK} was not installed by reviewbot; left alone\n"
    assert (repo / HOOK).read_text() == foreign
    (repo / HOOK).unlink()
    install(capsys)
    assert HOOK_MARKER in (repo / HOOK).read_text() and os.access(repo / HOOK, os.X_OK)
    assert install(capsys, "--uninstall")[1] == f"reviewbot: removed {repo / HOOK}\n"
    assert not (repo / HOOK).exists()


def test_install_refuses_to_clobber(capsys, repo):
    (repo / HOOK).write_text("#!/bin/sh\nexit 0\n")
    (repo / ".git/hooks/sendemail-validate.pre-reviewbot").write_text("#!/bin/sh\nexit 1\n")
    code, out, err = install(capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: {repo / HOOK} is not reviewbot's and ") and len(err.splitlines()) == 1
    assert (repo / HOOK).read_text() == "#!/bin/sh\nexit 0\n"


def test_install_outside_a_checkout(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert install(capsys) == (2, "", f"reviewbot: error: install-hook: {tmp_path} is not inside a git checkout\n")


def test_the_hook_is_plain_sh_without_side_effects(capsys, repo):
    install(capsys)
    text = (repo / HOOK).read_text()
    assert text.startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(repo / HOOK)]).returncode == 0
    for writer in (" > ", ">>", "git commit", "git config", "mktemp", "rm "):
        assert writer not in text.replace(">&2", "")
