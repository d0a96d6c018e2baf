"""Where ``reviewbot check`` takes its patches from: named inputs or stdin,
a ``--git`` range, or the work tree's uncommitted diff; and the kernel tree
it reads pre-images from (tree-aware mode)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from reviewbot.commands.common import expand_inputs, git_top, read_input
from reviewbot.errors import InputError, UsageError

_COMMIT_FROM = re.compile(rb"^From ([0-9a-f]{40}) ", re.MULTILINE)


# --- where the patches come from ------------------------------------------------------------


class Source:
    """What this run checks: named inputs, stdin, a range, or the work tree."""

    def __init__(self, args: argparse.Namespace, stdin_default: bool) -> None:
        self.inputs = list(args.inputs)
        self.range = args.git
        self.repo: Path | None = None
        if args.files:
            self.kind = "files"
            return
        if self.inputs:
            self.kind = "inputs"
        elif self.range is not None:
            self.kind = "git"
        elif stdin_default:
            self.kind, self.inputs = "inputs", ["-"]
        else:
            self.kind = "git"
        if self.kind == "git":
            self.repo = _repository(args)

    def messages(self, notes: list[str], *, quiet_no_patch: bool) -> tuple[list, list[str], int]:
        """The messages to check, the problems met reading them, and the
        number of input lines.  ``quiet_no_patch``: a message without a
        diff (a cover letter) is no problem."""
        if self.kind == "inputs":
            return _read_messages(expand_inputs(self.inputs), quiet_no_patch=quiet_no_patch)
        from reviewbot.analysis import git as precheck
        from reviewbot.pipeline import read_messages, split_read
        assert self.repo is not None
        if self.range:
            data = precheck.format_patch(self.repo, self.range)
            if not data.strip():
                notes.append(f"--git {self.range}: no commits to check in {self.repo}")
                return [], [], 0
            messages, problems = _range_messages(data)
            return messages, problems, data.count(b"\n")
        data = precheck.work_tree_diff(self.repo)
        if _stdin_carries_data():
            notes.append("standard input is not read without '-' (here: the uncommitted changes of "
                         f"{self.repo}); 'reviewbot check -' checks what is piped in")
        if not data.strip():
            notes.append(f"no staged or unstaged changes to check in {self.repo} "
                         "(a new file counts once it is added, or 'git add -N')")
            return [], [], 0
        messages, malformed = split_read(read_messages(data, "git diff HEAD"))
        return messages, [str(m) for m in malformed], data.count(b"\n")


def _stdin_carries_data() -> bool:
    """Whether something is piped or redirected in: a file that is not
    empty, or a pipe with bytes waiting (not a terminal, /dev/null or an
    empty pipe, as a CI runner may give)."""
    import os
    import stat

    try:
        mode = os.fstat(0).st_mode
        if stat.S_ISREG(mode):
            return os.fstat(0).st_size > 0
        if not stat.S_ISFIFO(mode):
            return False
        import array
        import fcntl
        import termios

        waiting = array.array("i", [0])
        fcntl.ioctl(0, termios.FIONREAD, waiting)
        return waiting[0] > 0
    except (OSError, ValueError, ImportError):
        return False


def _repository(args: argparse.Namespace) -> Path:
    """The git checkout ``--git`` (or the default) reads: --tree's, else the current one."""
    if args.tree is not None:
        top = git_top(Path(args.tree))
        if top is None:
            raise UsageError(f"--git: --tree {args.tree} is not inside a git checkout")
        return top
    top = git_top(Path.cwd())
    if top is None:
        if args.git is None:
            raise UsageError("nothing to check: name patch files, '-' for stdin, --git RANGE or "
                             "--file SRC (inside a git checkout, its uncommitted changes are checked)")
        raise UsageError(f"--git: {Path.cwd()} is not inside a git checkout "
                         "(run it in your kernel tree, or name one with --tree PATH)")
    return top


def _read_messages(names: list[str], *, quiet_no_patch: bool) -> tuple[list, list[str], int]:
    from reviewbot.mail.series import has_diff, is_reply
    from reviewbot.pipeline import read_messages, split_read

    messages = []
    problems: list[str] = []
    lines = 0
    for name in names:
        try:
            data = read_input(name)
        except InputError as exc:
            problems.append(str(exc))
            continue
        found, malformed = split_read(read_messages(data, "<stdin>" if name == "-" else name))
        problems.extend(str(m) for m in malformed)
        lines += data.count(b"\n")
        if found and not quiet_no_patch and not any(has_diff(m) for m in found):
            if all(is_reply(m) or _is_cover(m) for m in found) and len(found) > 1:
                pass  # a thread without patches is not an error of one input
            elif all(m.msgid is None and not (m.subject or m.sender) for m in found):
                problems.append(_not_a_patch(found[0].source))  # no header block: not a reply either
            elif any(is_reply(m) or _suggests_code(m) for m in found):
                pass  # a reply: the code it suggests is checked
            elif not any(_is_cover(m) for m in found):
                problems.append(f"{found[0].source}: no patch found (no diff in the message)")
        messages.extend(found)
    return messages, problems, lines


def _not_a_patch(source: str) -> str:
    """Why text with no diff and no header block is refused, and what was meant."""
    if source.endswith((".S", ".s", ".c", ".h")):
        return (f"{source}: a source file, not a patch: to check the whole file, "
                f"name it with --file {source}")
    return f"{source}: no patch found (no diff in it, and no mail header block)"


def _range_messages(data: bytes) -> tuple[list, list[str]]:
    """The messages of ``git format-patch --stdout``, each named by its
    commit, and the problems of those that cannot be read."""
    from reviewbot.pipeline import read_messages, split_read

    shas = [m.group(1).decode()[:12] for m in _COMMIT_FROM.finditer(data)]
    messages, malformed = split_read(read_messages(data, "commit", names=shas))
    return messages, [str(m) for m in malformed]


def _is_cover(message) -> bool:
    from reviewbot.mail.series import parse_subject
    return parse_subject(message.subject).index == 0


# --- the tree ---------------------------------------------------------------------------------


def tree_of(args: argparse.Namespace, config, source: Source):
    """The SourceTree of this run, or None (no tree, or --no-tree).  No git
    process is started here."""
    if args.no_tree:
        return None
    from reviewbot.analysis.tree import GitTree, is_kernel_tree
    if args.tree is not None:
        path = Path(args.tree).resolve()
        if not path.is_dir():
            raise UsageError(f"--tree {args.tree}: no such directory")
        if not is_kernel_tree(path) and git_top(path) is None:
            raise UsageError(f"--tree {args.tree}: not a kernel tree (no Makefile and arch/ at its top) "
                             "nor in a git checkout")
        top = path if is_kernel_tree(path) or (path / ".git").exists() else (git_top(path) or path)
        return GitTree(top, config.context, use_git=git_top(top) is not None, isolate_env=True)
    if source.repo is not None:
        return GitTree(source.repo, config.context)
    here = git_top(Path.cwd())
    if here is not None and is_kernel_tree(here):
        return GitTree(here, config.context)
    return None



def tree_path(path: Path) -> str:
    """A file's path relative to the top of its git checkout, else as given."""
    top = git_top(path.parent if path.parent != Path("") else Path.cwd())
    if top is not None:
        try:
            return path.resolve().relative_to(top).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _suggests_code(message) -> bool:
    from reviewbot.mail.suggestions import find_suggestions  # only for a message without a diff

    return bool(find_suggestions(message, quoted=True))
