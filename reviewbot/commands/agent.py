"""``reviewbot b4-agent``: b4's review agent (``b4.review-agent-command``).

b4 review's ``a`` key runs the configured command at the top of the
repository with the review branch checked out, and appends one argument,
``Read and execute the prompt from <b4.review-agent-prompt-path>``; reviewbot
runs its rules instead of a prompt, so it takes that argument and ignores it.
This module is the edge: it reads the branch with git, reviews it as
``check --git`` would (the branch is a kernel checkout at the series' base:
whole files, the kernel version from the base's Makefile) and writes
``.git/b4-review/<HEAD sha>/``, which b4 turns into private comment panels.
What the files say is :mod:`reviewbot.bot.b4_agent`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import add_config_options, add_rule_options, plural
from reviewbot.errors import InputError, UsageError
from reviewbot.printable import printable

_DESCRIPTION = """\
Review the b4 review branch checked out here, as b4's review agent.

Set it up once per kernel checkout (b4 insists on a prompt file; reviewbot
reads none, any file that exists will do):

  git config b4.review-agent-command 'reviewbot b4-agent' && git config b4.review-agent-prompt-path MAINTAINERS

then press 'a' in 'b4 review tui'. reviewbot reads the branch (the patch
commits and the tracking commit at its tip), reviews every patch with the
whole tree as context, and writes .git/b4-review/<HEAD sha>/: identity.txt,
series.txt (a summary) and one NNNN.txt per patch with findings, the diff
quoted with each comment under its line. Patches marked skip are not
reviewed. Nothing else is written; nothing is sent.

Configuration: --config files, else ~/.config/reviewbot/config.yaml and the
.reviewbot.yaml of the series' base commit (never the one the series may
change), then -c overrides. bot.name and bot.email name the reviewer."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``b4-agent`` to the command line."""
    parser = sub.add_parser("b4-agent", help=help_line("b4-agent"), description=_DESCRIPTION,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prompt", nargs="*", metavar="PROMPT",
                        help="the argument b4 appends ('Read and execute the prompt from ...'); ignored")
    parser.add_argument("--repo", metavar="DIR", default=".",
                        help="the checkout with the review branch checked out (default: here, "
                             "where b4 runs the agent)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="do not report the findings listed in FILE (see check --write-baseline)")
    add_rule_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Review the branch and write the agent files; returns the exit status."""
    from reviewbot.analysis.tree import GitTree
    from reviewbot.bot import b4_agent
    from reviewbot.engine import era_of
    from reviewbot.errors import ReviewbotError
    from reviewbot.model import Series
    from reviewbot.pipeline import review_all
    from reviewbot.rules.loader import load_rules

    branch = read_branch(_top(Path(args.repo)))
    config = _config(args, branch)
    rules = load_rules(config, select=args.select, ignore=args.ignore)
    tree = GitTree(branch.top, config.context)
    total = len(branch.patches)
    patches = tuple(b4_agent.to_patch(bp, total, branch.base) for bp in branch.patches)
    (done,) = review_all([Series(patches=patches, total=total)], rules, config, tree)
    if done.result is None:
        raise ReviewbotError(f"{done.failure} (nothing written for b4)")
    reviews = list(done.result.patches)
    if args.baseline:
        reviews = _apply_baseline(args.baseline, reviews)
    files = {"identity.txt": b4_agent.identity(config.bot.name, config.bot.email)}
    kept = [(r, bp) for r, bp in zip(reviews, branch.patches) if not bp.skipped]
    skipped = [bp.number for bp in branch.patches if bp.skipped]
    summary = None
    if not branch.series_skipped:
        era = era_of(None, config, tree, branch.base)
        files["series.txt"] = b4_agent.series_file([r for r, _ in kept], skipped, era,
                                                   rules_version=rules.version, tool_name=config.bot.name)
        summary = files["series.txt"].split("\n", 1)[0]
    for review_, bp in kept:
        text = b4_agent.patch_file(review_, bp)
        if text is not None:
            files[f"{bp.number:04d}.txt"] = text
    where = _write(branch, files)
    if summary:
        print(printable(summary))
    for review_, bp in kept:
        for problem in review_.problems:
            print(f"reviewbot: note: {printable(problem)}", file=sys.stderr)
    print(f"reviewbot: wrote {', '.join(sorted(files))} to {where}")
    return 0


# --- reading the branch ------------------------------------------------------------------


class ReviewBranch:
    """What the agent needs of the checked-out review branch."""

    def __init__(self, top: Path, tip: str, base: str | None, patches: tuple, series_skipped: bool) -> None:
        self.top, self.tip, self.base = top, tip, base
        self.patches = patches
        self.series_skipped = series_skipped


def _top(repo: Path) -> Path:
    from reviewbot.analysis.git import git
    if not repo.is_dir():
        raise UsageError(f"--repo {repo}: no such directory")
    proc = git(repo, ["rev-parse", "--show-toplevel"], what=f"{repo} (b4-agent runs in the kernel checkout)")
    return Path(proc.stdout.decode().strip())


def read_branch(top: Path) -> ReviewBranch:
    """The review branch checked out in ``top``: its tracking data, and
    each patch commit with its diff; InputError when HEAD is not one."""
    from reviewbot.analysis.git import commit_diff, git
    from reviewbot.bot.b4_agent import BranchPatch, TrackingError, is_skipped, parse_tracking, patch_range

    tip = git(top, ["rev-parse", "--verify", "HEAD"], what=f"HEAD of {top}").stdout.decode().strip()
    name = git(top, ["rev-parse", "--abbrev-ref", "HEAD"], what=f"HEAD of {top}").stdout.decode().strip()
    message = git(top, ["log", "-1", "--format=%B", tip], what=f"the tip commit {tip[:12]}").stdout
    what = f"HEAD ({name}, {tip[:12]})"
    try:
        _cover, tracking = parse_tracking(message.decode("utf-8", errors="replace"))
        rev_range = patch_range(tracking["series"], tip)
    except TrackingError as exc:
        raise InputError(what, f"not a b4 review branch: {exc} (b4 review's 'a' key runs the agent "
                               "with the review branch checked out)") from None
    log = git(top, ["log", "--reverse", "-z", "--format=%H%x1f%an <%ae>%x1f%aD%x1f%s%x1f%b",
                    "--end-of-options", rev_range, "--"], what=f"the patch commits {rev_range}").stdout
    commits = [entry.split("\x1f") for entry in log.decode("utf-8", errors="replace").split("\0") if entry.strip()]
    meta = tracking["patches"]
    if len(commits) != len(meta):
        raise InputError(what, f"the branch has {plural(len(commits), 'patch commit')} in {rev_range} "
                               f"but its tracking data lists {plural(len(meta), 'patch', 'patches')}")
    patches = []
    for number, ((sha, author, date, subject, body), entry) in enumerate(zip(commits, meta), start=1):
        sha = sha.strip()
        diff = commit_diff(top, sha)
        entry = entry if isinstance(entry, dict) else {}
        header = entry.get("header-info") if isinstance(entry.get("header-info"), dict) else {}
        patches.append(BranchPatch(number=number, sha=sha, author=author, date=date, subject=subject,
                                   body=body, diff=diff.decode("utf-8", errors="replace"),
                                   notes=str(entry.get("basement") or ""), msgid=_msgid(header.get("msgid")),
                                   skipped=is_skipped(entry)))
    series = tracking["series"]
    return ReviewBranch(top, tip, series.get("base-commit") or None, tuple(patches), is_skipped(series))


def _msgid(value: object) -> str | None:
    return str(value).strip().strip("<>") or None if value else None


# --- configuration, baseline, output -----------------------------------------------------


def _config(args: argparse.Namespace, branch: ReviewBranch):
    """The user's configuration and the base commit's ``.reviewbot.yaml``:
    the work tree holds the series, which must not configure its own review."""
    from reviewbot.analysis.git import git
    from reviewbot.commands.common import user_config_files
    from reviewbot.config import load_config

    overrides = list(args.overrides)
    if args.rules:
        import json
        overrides.append("rules.paths=" + json.dumps(list(args.rules)))
    if args.config:
        return load_config(args.config, overrides)
    paths = [p for p in user_config_files(branch.top) if p.name != ".reviewbot.yaml"]
    texts = []
    if branch.base:
        proc = git(branch.top, ["show", f"{branch.base}:.reviewbot.yaml"], what="the base's .reviewbot.yaml",
                   ok=(0, 128))
        if proc.returncode == 0:
            texts.append((f"{branch.base[:12]}:.reviewbot.yaml", proc.stdout.decode("utf-8", errors="replace")))
    return load_config(paths, overrides, texts=texts)


def _apply_baseline(name: str, reviews: list) -> list:
    from reviewbot.baseline import BaselineFormatError, apply_baseline, parse_baseline
    try:
        baseline = parse_baseline(Path(name).read_text(encoding="utf-8"), name)
    except FileNotFoundError:
        raise InputError(name, "no such baseline file (write one with reviewbot check --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    except BaselineFormatError as exc:
        raise InputError(name, str(exc)) from None
    return apply_baseline(reviews, baseline)[0]


_OURS = re.compile(r"^(\d{4}|identity|series)\.txt$")


def _write(branch: ReviewBranch, files: dict[str, str]) -> str:
    """Write the files where b4 reads them (``<top>/.git/b4-review/<tip>/``),
    replacing what an earlier run left there; returns that directory."""
    from reviewbot.bot.b4_agent import REVIEW_DIR
    git_dir = branch.top / ".git"
    if not git_dir.is_dir():
        raise InputError(str(branch.top), "b4 reads agent files from .git/b4-review/ at the top of the "
                                          "checkout, and .git here is not a directory (a git worktree?)")
    directory = git_dir / REVIEW_DIR / branch.tip
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            if _OURS.match(old.name) and old.name not in files:
                old.unlink()
        for name, text in files.items():
            temporary = directory / f".{name}.tmp"
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, directory / name)
    except OSError as exc:
        raise InputError(str(directory), f"cannot write the review files: {exc.strerror or exc}") from None
    return os.path.relpath(directory, Path.cwd()) + os.sep
