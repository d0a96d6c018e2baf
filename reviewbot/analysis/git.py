"""The git side of the pre-send check: running git (ranges, the work tree's
diff, blobs, grep, the hooks directory) and the ``sendemail-validate`` hook.

One of the few modules that touch the world.  Every git call is one
process with its output captured; an error names what was asked for and
gives git's own first line, never a traceback.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from reviewbot.errors import InputError, UsageError
import logging

log = logging.getLogger(__name__)

#: Options that make git's diff output what the diff parser expects,
#: whatever the user's configuration says (noprefix, relative, colour,
#: external diff drivers, textconv).
_DIFF_OPTIONS = ("--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
                 "--src-prefix=a/", "--dst-prefix=b/")
HOOK_NAME = "sendemail-validate"
HOOK_MARKER = "# reviewbot-hook: 1"
CHAINED_SUFFIX = ".pre-reviewbot"


def git(top: Path | None, args: Sequence[str], *, what: str, stdin: bytes | None = None,
        ok: tuple[int, ...] = (0,), env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run one git command in ``top``; InputError naming ``what`` when it fails."""
    cmd = ["git", "-c", "core.quotepath=off"]
    if top is not None:
        cmd += ["-C", str(top)]
    cmd += list(args)
    log.debug("running %s", shlex.join(cmd))
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise UsageError(f"{what}: git is not installed (or not on PATH)") from None
    if proc.returncode not in ok:
        if _no_commit_yet(top, args, env):
            raise InputError(what, "the repository has no commit yet (HEAD names none)")
        raise InputError(what, f"git: {first_line(proc.stderr) or f'exit status {proc.returncode}'}")
    return proc


def _no_commit_yet(top: Path | None, args: Sequence[str], env: Mapping[str, str] | None) -> bool:
    """Did a command about HEAD fail because the repository has no commit?
    (git says "Needed a single revision" or "bad revision 'HEAD'".)"""
    if top is None or not any("HEAD" in arg for arg in args):
        return False
    probe = subprocess.run(["git", "-C", str(top), "rev-parse", "--git-dir"], capture_output=True,
                           stdin=subprocess.DEVNULL, env=env)
    if probe.returncode != 0:
        return False  # not a repository: git's own words say so
    head = subprocess.run(["git", "-C", str(top), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True,
                          stdin=subprocess.DEVNULL, env=env)
    return head.returncode != 0


def first_line(data: bytes) -> str:
    """The first non-empty line of git's stderr, without ``fatal:``/``error:``."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if line:
            for prefix in ("fatal: ", "error: "):
                if line.startswith(prefix):
                    line = line[len(prefix):]
            return line
    return ""


# --- what is checked -------------------------------------------------------------------


def format_patch(top: Path, rev_range: str, *, env: Mapping[str, str] | None = None) -> bytes:
    """The commits of ``rev_range`` (as ``git format-patch`` reads it:
    ``HEAD~3..``, ``origin/master..``, or one commit meaning "since") as an
    mbox, with full blob ids on the ``index`` lines."""
    last = re.fullmatch(r"-([1-9][0-9]{0,5})", rev_range.strip())  # -3: the last three, as git takes it
    if not rev_range.strip() or rev_range.startswith("-") and not last:
        raise InputError(f"--git {rev_range!r}", "not a revision range (e.g. HEAD~3.., origin/master.. or -3)")
    count = [f"--max-count={last.group(1)}"] if last else []
    proc = git(top, ["format-patch", "--stdout", "--no-signature", "--no-base", *_DIFF_OPTIONS, *count,
                     "--end-of-options", "HEAD" if last else rev_range, "--"],
               what=f"--git {rev_range}", env=env)
    return proc.stdout


def commit_diff(top: Path, commit: str, *, env: Mapping[str, str] | None = None) -> bytes:
    """``git diff <commit>~1 <commit>``: what one commit changed (b4's
    review agent quotes exactly this), with full blob ids."""
    return git(top, ["diff", *_DIFF_OPTIONS, f"{commit}~1", commit, "--"],
               what=f"the diff of commit {commit[:12]}", env=env).stdout


def work_tree_diff(top: Path, *, env: Mapping[str, str] | None = None) -> bytes:
    """The staged and unstaged changes (``git diff HEAD``); against the
    empty tree on a branch without commits."""
    what = f"the changes in {top}"
    try:
        return git(top, ["diff", *_DIFF_OPTIONS, "HEAD", "--"], what=what, env=env).stdout
    except InputError as exc:
        if "HEAD" not in exc.problem:
            raise
    empty = git(top, ["hash-object", "-t", "tree", "--stdin"], what=what, stdin=b"", env=env)
    tree = empty.stdout.decode().strip()
    return git(top, ["diff", *_DIFF_OPTIONS, tree, "--"], what=what, env=env).stdout


# --- what the tree holds ---------------------------------------------------------------


def cat_file_batch(top: Path, objects: Sequence[str], *,
                   env: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The contents of the blobs among ``objects`` (ids, abbreviated or
    not), read by one ``git cat-file --batch``; missing ones are left out.
    A git failure is logged and gives nothing: the check goes on without."""
    if not objects:
        return {}
    request = "".join(o + "\n" for o in objects).encode()
    try:
        out = git(top, ["cat-file", "--batch"], what=f"the blobs of {top}", stdin=request, env=env).stdout
    except InputError as exc:
        log.info("%s; checking hunks only", exc)
        return {}
    found: dict[str, bytes] = {}
    pos = 0
    for name in objects:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            if header[1] == b"blob":
                found[name] = out[pos:pos + size]
            pos += size + 1
    return found


def grep_lines(top: Path, words: Sequence[str], pathspecs: Sequence[str], *,
               env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(path, line)`` of every line of the tracked files under
    ``pathspecs`` holding one of ``words`` as a whole word (one ``git grep``
    for fixed strings: an anchored regex is several times slower)."""
    if not words:
        return []
    patterns = [arg for word in words for arg in ("-e", word)]
    try:
        proc = git(top, ["grep", "-I", "-z", "-w", "-F", "--no-color", *patterns, "--", *pathspecs],
                   what=f"git grep in {top}", ok=(0, 1), env=env)
    except InputError as exc:
        log.info("%s; macro uses in the tree not searched", exc)
        return []
    hits = []
    for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
        path, sep, text = line.partition("\0")
        if sep:
            hits.append((path, text))
    return hits


def hooks_dir(top: Path) -> Path:
    """The directory git runs hooks from (``core.hooksPath`` honoured)."""
    proc = git(top, ["rev-parse", "--git-path", "hooks"], what=f"the hooks directory of {top}")
    path = Path(proc.stdout.decode().strip())
    return path if path.is_absolute() else (top / path).resolve()


# --- the sendemail-validate hook -----------------------------------------------------------


def hook_script(python: str, pythonpath: str | None, fail_on: str) -> str:
    """The text of the ``sendemail-validate`` hook: call a hook it replaced,
    skip messages without a diff (the cover letter), check the message with
    ``reviewbot hook-check``, print findings on stderr, and refuse the send
    on findings at or above ``fail_on`` and whenever reviewbot cannot check
    (it is gone, a configuration error, a crash): it fails closed.  It
    writes nothing anywhere."""
    q = shlex.quote
    env = f"PYTHONPATH={q(pythonpath)}${{PYTHONPATH:+:$PYTHONPATH}} " if pythonpath else ""
    return f"""#!/bin/sh
# git send-email's sendemail-validate hook, installed by 'reviewbot install-hook'
# (remove it with 'reviewbot install-hook --uninstall').
{HOOK_MARKER}
#
# Checks each message before anything is sent ($1: the message file) and
# refuses the whole send for findings at or above '{fail_on}', and when
# reviewbot cannot check (a configuration error, reviewbot gone): it fails
# closed.  Other findings are printed on stderr and the send goes on.
# Read-only: it changes nothing in the repository.  Skip it once with
# --no-validate.

# A hook that was here before reviewbot's runs first and can refuse too.
chained="$(dirname "$0")/{HOOK_NAME}{CHAINED_SUFFIX}"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi

# A message without a diff (the cover letter) has nothing to check; one
# that cannot be read goes on to reviewbot, which refuses it.
grep -q '^diff --git ' "$1" 2>/dev/null
[ $? -eq 1 ] && exit 0

python={q(python)}
if [ -x "$python" ]; then
	{env}"$python" -m reviewbot hook-check --fail-on {q(fail_on)} "$1" >&2
elif command -v reviewbot >/dev/null 2>&1; then
	reviewbot hook-check --fail-on {q(fail_on)} "$1" >&2
else
	echo "reviewbot: not found ($python is gone): nothing was sent (reinstall with 'reviewbot install-hook', or send with --no-validate)" >&2
	exit 1
fi
status=$?
case $status in
0) exit 0 ;;
1) echo "reviewbot: findings at or above '{fail_on}' in $(basename "$1"); nothing was sent (fix them, or send with --no-validate)" >&2
   exit 1 ;;
2) exit 1 ;;  # reviewbot said what stops it from checking, and that nothing was sent
*) echo "reviewbot: could not check $(basename "$1") (exit status $status): nothing was sent (send with --no-validate to skip the check)" >&2
   exit 1 ;;
esac
"""


def is_our_hook(path: Path) -> bool:
    """Was the hook at ``path`` written by ``reviewbot install-hook``?"""
    try:
        return HOOK_MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
