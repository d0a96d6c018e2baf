"""``reviewbot check``: the patch author's pre-send check.

Reads ``git format-patch`` files, an mbox of a series, a plain diff or stdin;
or, inside a git checkout, the commits of a range (``--git RANGE``) or the
staged and unstaged changes (the default there).  Checks each patch on its
own with the rest of the series as context and, inside a kernel checkout
(or with ``--tree``), with the whole pre-image of each file.  Prints the
findings; exits 0 when clean, 1 on findings at or above ``--fail-on``, 2
when an input, option or configuration is wrong.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import (
    add_config_options, add_output_options, add_rule_options, build_config, expand_inputs,
    git_top, read_input,
)
from reviewbot.errors import InputError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
B4_FORMATS = ("b4", "b4-review")
_COMMIT_FROM = re.compile(rb"^From ([0-9a-f]{40}) ", re.MULTILINE)

_DESCRIPTION = """\
Check patches before they are sent.

What is checked, first match wins:
  PATH ...        git format-patch files, directories of them, mbox files of a
                  series (each patch checked on its own, the series as
                  context), plain diffs, or - for stdin
  --file SRC ...  whole source files, every line counting as added
  --git RANGE     the commits of RANGE in the checkout (HEAD~3.., origin/master..,
                  -3 for the last three, as git format-patch takes them)
  --git           the staged and unstaged changes of the checkout (git diff HEAD)
  (nothing)       with --format b4 or b4-review: stdin; inside a git checkout:
                  its staged and unstaged changes

Tree-aware mode: inside a kernel checkout (a git work tree with a top-level
Makefile and arch/), and always with --git, each changed file is read whole
(the blob on the diff's index line, else the work tree file when the patch
applies to it) and checked with the whole file as context; the kernel
version comes from the tree's Makefile. --tree PATH uses a checkout
elsewhere, --no-tree checks the hunks alone.

Suppressions, none of which touch the kernel source: --ignore RULE;
rules.per-path-ignores in the configuration; a 'reviewbot-ignore: RULE
reason' line below the '---' of a patch; a baseline of accepted findings
(--write-baseline FILE, then --baseline FILE). Suppressions that could have
matched and did not are reported as 'reviewbot: note:' lines on stderr.

b4: --format b4 is the contract of b4.prep-perpatch-check-cmd and
b4.am-perpatch-check-cmd (nothing printed when clean, ERROR: on error lines,
nothing on stderr); --format b4-review prints the JSON array of
b4.review-perpatch-check-cmd. Both read the patch on stdin by default."""

_EPILOG = """\
Exit status: 0 nothing at or above --fail-on, 1 findings at or above it (even
when another input was bad), 2 bad input, option or configuration (one line on
stderr names the input and the problem).

examples:
  reviewbot check 0001-*.patch
  reviewbot check --git origin/master..
  reviewbot check                           # the checkout's uncommitted changes
  git config --add b4.prep-perpatch-check-cmd 'reviewbot check --format b4'"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` to the command line."""
    parser = sub.add_parser(
        "check",
        help=help_line("check"),
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="PATH|-",
                        help="patch files, mbox files, directories of format-patch output, or - for stdin")
    parser.add_argument("--file", dest="files", metavar="SRC", nargs="+", default=[],
                        help="check whole source files instead of patches")
    parser.add_argument("--as", dest="as_path", metavar="TREE_PATH",
                        help="with --file: the file's path inside the kernel tree "
                             "(e.g. arch/arm64/kvm/hyp/entry.S); decides its context")
    parser.add_argument("--git", metavar="RANGE", nargs="?", const="", default=None,
                        help="check the commits of RANGE (as git format-patch takes it: HEAD~3.., "
                             "origin/master..) in the checkout; without RANGE, its staged and "
                             "unstaged changes")
    tree = parser.add_argument_group("kernel tree")
    exclusive = tree.add_mutually_exclusive_group()
    exclusive.add_argument("--tree", metavar="PATH",
                           help="the kernel checkout the patches apply to (default: the checkout "
                                "around the current directory, when it is a kernel tree)")
    exclusive.add_argument("--no-tree", action="store_true",
                           help="check the hunks alone, without reading whole files from a tree")
    baseline = parser.add_argument_group("baseline")
    baseline.add_argument("--baseline", metavar="FILE",
                          help="do not report the findings listed in FILE (see --write-baseline)")
    baseline.add_argument("--write-baseline", metavar="FILE",
                          help="write the findings of this run to FILE as a baseline of accepted "
                               "findings (they are then not reported, and the exit status is 0)")
    fixing = parser.add_argument_group("fixes").add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true",
                        help="apply the fixes rules mark safe to the files in the work tree (never "
                             "to a line that differs from what was checked), then report the rest")
    fixing.add_argument("--diff", action="store_true",
                        help="print the safe fixes as a patch (git apply takes it) instead of the "
                             "findings; change nothing; exit 1 when there is something to fix")
    add_output_options(parser)
    output = parser.add_argument_group("text output")
    output.add_argument("-q", "--quiet", action="store_true",
                        help="print the findings alone: no patch headers, no total line, no notes")
    output.add_argument("--color", "--colour", dest="color", choices=("auto", "always", "never"),
                        default="auto", help="colour the text output: auto (default) on a terminal "
                                             "unless NO_COLOR is set")
    add_rule_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the check; returns the exit status."""
    from reviewbot.formats import FORMATTERS, Report
    from reviewbot.model import Severity
    from reviewbot.rules.loader import load_rules

    _check_usage(args)
    config = build_config(args)
    rules = load_rules(config, select=args.select, ignore=args.ignore)
    # b4 modes read stdin by default (asked for on the command line, as b4's
    # check commands do) and print nothing on stderr (whatever set the format)
    source = _Source(args, args.format in B4_FORMATS)
    b4_mode = config.output.format in B4_FORMATS
    tree = _tree(args, config, source)
    notes: list[str] = []
    if args.files:
        reviews, problems, lines = _check_files(args.files, args.as_path, rules, config, tree)
    else:
        messages, problems, lines = source.messages(notes, quiet_no_patch=b4_mode)
        reviews, failures = _review_messages(messages, rules, config, tree)
        problems.extend(failures)
    reviews, notes_from_suppressions = _suppress(args, reviews, rules, config)
    notes.extend(notes_from_suppressions)
    notes.extend(era_notes(reviews, rules))
    if args.fix or args.diff:
        reviews, patch = _fixes(args, reviews, source)
        if args.diff:
            sys.stdout.write(patch)
            return EXIT_FINDINGS if patch else EXIT_OK
    if b4_mode:
        report = Report(reviews=tuple(reviews), rules=rules, lines_checked=lines, problems=tuple(problems))
    else:
        report = Report(reviews=tuple(reviews), rules=rules, lines_checked=lines, quiet=args.quiet,
                        color=_colour(args.color, sys.stdout))
    sys.stdout.write(FORMATTERS[config.output.format](report))
    sys.stdout.flush()
    all_problems = problems + [p for r in reviews for p in r.problems]
    if not b4_mode:  # b4 reads every stderr line as a failure
        for problem in all_problems:
            print(f"reviewbot: error: {problem}", file=sys.stderr)
        for note in [] if args.quiet else notes:
            print(f"reviewbot: note: {note}", file=sys.stderr)
    # Blocking findings win over input problems: a hook must refuse a series
    # with an error in it even when another of its patches could not be read.
    fail_on = Severity.parse(config.output.fail_on)
    if any(f.severity >= fail_on for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_INPUT if all_problems else EXIT_OK


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _colour(choice: str, stream) -> bool:
    """--color: always, never, or (auto) on a terminal unless NO_COLOR is
    set to something (https://no-color.org)."""
    import os
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and _is_terminal(stream)


def era_notes(reviews: list, rules) -> list[str]:
    """Where the target kernel was only guessed (from the mail date) or is
    unknown and that turned off a rule for a file the patch changes: what
    was assumed, which rules, and how to say the kernel."""
    from reviewbot.analysis.context import path_matches
    from reviewbot.analysis.eras import MAIL_DATE
    from reviewbot.analysis.kernels import Era, KernelVersion

    ranged = [r for r in rules if r.scope.kernel]
    off: dict[str | None, tuple[list[str], set[str]]] = {}
    for review in reviews:
        if not ranged or not review.patch.message.subject:  # whole files: no mail, no guess
            continue
        if not (review.kernel_origin == MAIL_DATE or review.kernel is None):
            continue
        era = Era(KernelVersion.parse(review.kernel) if review.kernel else None)
        paths = [c.path for c in review.patch.files if c.path]
        turned_off = {f"{r.id} ({r.scope.kernel})" for r in ranged
                      if era.satisfies(r.scope.kernel) is not True
                      and any(_reads(r, p) and path_matches(p, r.scope.include or ("**",))
                              and not (r.scope.exclude and path_matches(p, r.scope.exclude)) for p in paths)}
        if turned_off:
            sources, ids = off.setdefault(review.kernel, ([], set()))
            sources.append(review.patch.message.source)
            ids.update(turned_off)
    notes = []
    for version, (sources, ids) in off.items():
        what = (f"kernel {version} assumed from the mail date" if version is not None
                else "the target kernel is unknown")
        where = sources[0] if len(sources) == 1 else f"{sources[0]} and {len(sources) - 1} more"
        notes.append(f"{what} of {where} (no kernel tree here), so {', '.join(sorted(ids))} did not "
                     f"run; say the kernel the patches are for with -c context.kernel=VERSION "
                     f"(e.g. 5.10), or check inside the kernel tree")
    return notes


def _reads(rule, path: str) -> bool:
    """Does the rule read files like ``path`` (C rules .c, assembly rules .S; headers both)?"""
    if path.endswith(".c"):
        return "c" in rule.languages
    if path.endswith((".S", ".s")):
        return "arm64-asm" in rule.languages
    return True


def _fixes(args: argparse.Namespace, reviews: list, source: "_Source") -> tuple[list, str]:
    """--fix: apply the safe fixes to the work tree and drop their findings;
    --diff: the patch that would.  Files are found from the top of the checkout."""
    from reviewbot.commands.common import plural
    from reviewbot.fixes import apply_fixes, as_patch, fixable
    from reviewbot.records import replace

    root = (source.repo or (git_top(Path(args.tree)) if args.tree else None) or git_top(Path.cwd())
            or Path.cwd()).resolve()
    findings = [f for r in reviews for f in r.findings]
    texts = {path: _read_source(root, path) for path in {f.path for f in findings if fixable(f) and f.path}}
    result = apply_fixes(findings, texts)
    for finding, why in result.skipped:
        print(f"reviewbot: not fixed {finding.location} [{finding.rule_id}]: {why}", file=sys.stderr)
    if args.diff:
        return reviews, as_patch(texts, result.texts)
    for path, text in result.texts.items():
        try:
            (root / path).write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise InputError(str(root / path), f"cannot write the fix: {exc.strerror or exc}") from None
    for finding in result.applied:
        print(f"reviewbot: fixed {finding.location} [{finding.rule_id}]", file=sys.stderr)
    shown = sum(1 for f in findings if f.fix and not f.suppressed and f.fix_safety != "safe")
    print(f"reviewbot: {plural(len(result.applied), 'fix', 'fixes')} applied"
          + (f"; {plural(shown, 'fix', 'fixes')} not marked safe, shown only" if shown else ""),
          file=sys.stderr)
    done = {id(f) for f in result.applied}
    return [replace(r, findings=tuple(f for f in r.findings if id(f) not in done)) for r in reviews], ""


def _read_source(root: Path, path: str) -> str | None:
    """A work tree file's text, or None (outside the checkout, unreadable, not UTF-8)."""
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    try:
        return target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _check_usage(args: argparse.Namespace) -> None:
    if args.files and args.inputs:
        raise UsageError("give either patches or --file sources, not both")
    if args.git is not None and (args.inputs or args.files):
        raise UsageError("--git checks commits or uncommitted changes of the checkout; "
                         "do not name patch files or --file sources with it")
    if args.as_path and len(args.files) != 1:
        raise UsageError("--as names the tree path of exactly one --file")
    if args.tree is not None and not Path(args.tree).is_dir():
        raise UsageError(f"--tree {args.tree}: no such directory")


# --- where the patches come from ------------------------------------------------------------


class _Source:
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
        if not data.strip():
            notes.append(f"no staged or unstaged changes to check in {self.repo}")
            return [], [], 0
        messages, malformed = split_read(read_messages(data, "git diff HEAD"))
        return messages, [str(m) for m in malformed], data.count(b"\n")


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
    from reviewbot.mail.parse import has_diff, is_reply
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
            elif not any(_is_cover(m) for m in found):
                problems.append(f"{found[0].source}: no patch found (no diff in the message)")
        messages.extend(found)
    return messages, problems, lines


def _range_messages(data: bytes) -> tuple[list, list[str]]:
    """The messages of ``git format-patch --stdout``, each named by its
    commit, and the problems of those that cannot be read."""
    from reviewbot.pipeline import read_messages, split_read

    shas = [m.group(1).decode()[:12] for m in _COMMIT_FROM.finditer(data)]
    messages, malformed = split_read(read_messages(data, "commit", names=shas))
    return messages, [str(m) for m in malformed]


def _is_cover(message) -> bool:
    from reviewbot.mail.parse import parse_subject
    return parse_subject(message.subject).index == 0


# --- the tree ---------------------------------------------------------------------------------


def _tree(args: argparse.Namespace, config, source: _Source):
    """The SourceTree of this run, or None (no tree, or --no-tree).  No git
    process is started here."""
    if args.no_tree:
        return None
    from reviewbot.analysis.tree import GitTree, is_kernel_tree
    if args.tree is not None:
        path = Path(args.tree).resolve()
        top = path if is_kernel_tree(path) or (path / ".git").exists() else (git_top(path) or path)
        return GitTree(top, config.context, use_git=git_top(top) is not None, isolate_env=True)
    if source.repo is not None:
        return GitTree(source.repo, config.context)
    here = git_top(Path.cwd())
    if here is not None and is_kernel_tree(here):
        return GitTree(here, config.context)
    return None


# --- reviewing --------------------------------------------------------------------------------


def _review_messages(messages: list, rules, config, tree) -> tuple[list, list[str]]:
    """The patch reviews, and the series whose review failed inside reviewbot
    (broken patches are reported by the review, patch by patch)."""
    from reviewbot.pipeline import assemble, review_all

    if not messages:
        return [], []
    series_list, _broken = assemble(messages)
    reviews: list = []
    failures: list[str] = []
    for done in review_all(series_list, rules, config, tree):
        if done.result is None:
            failures.append(done.failure or "")
        else:
            reviews.extend(done.result.patches)
    return reviews, failures


def _check_files(files: list[str], as_path: str | None, rules, config, tree) -> tuple[list, list[str], int]:
    from reviewbot.analysis.kernels import Era
    from reviewbot.engine import review_file

    era = None
    if tree is not None and (version := tree.kernel_version()) is not None:
        era = Era(version, "tree")
    reviews, problems, lines = [], [], 0
    for name in files:
        try:
            data = read_input(name)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if b"\0" in data[:8192]:
            problems.append(f"{name}: binary file, not a source file")
            continue
        text = data.decode("utf-8", errors="replace")
        lines += text.count("\n")
        reviews.append(review_file(as_path or tree_path(Path(name)), text, rules, config, era=era))
    return reviews, problems, lines


def _suppress(args: argparse.Namespace, reviews: list, rules, config) -> tuple[list, list[str]]:
    """Apply --baseline, write --write-baseline, and find unused suppressions."""
    from reviewbot.baseline import apply_baseline, format_baseline, parse_baseline, unused_suppressions

    baseline = None
    used: set[tuple[str, str]] = set()
    if args.baseline:
        baseline = _read_baseline(args.baseline)
        reviews, used = apply_baseline(reviews, baseline)
    notes = unused_suppressions(reviews, rule_ids=[r.id for r in rules],
                                per_path_ignores=config.rules.per_path_ignores,
                                baseline=baseline, baseline_used=used, whole_files=bool(args.files))
    if args.write_baseline:
        text = format_baseline(reviews)
        try:
            Path(args.write_baseline).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(args.write_baseline, f"cannot write the baseline: {exc.strerror or exc}") from None
        written = parse_baseline(text, args.write_baseline)
        reviews, _ = apply_baseline(reviews, written)
        notes.append(f"wrote {len(written.entries)} finding{'s' if len(written.entries) != 1 else ''} "
                     f"to the baseline {args.write_baseline}")
    return reviews, notes


def _read_baseline(name: str):
    from reviewbot.baseline import BaselineFormatError, parse_baseline
    try:
        text = Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(name, "no such baseline file (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse_baseline(text, name)
    except BaselineFormatError as exc:
        raise InputError(name, str(exc)) from None


def tree_path(path: Path) -> str:
    """A file's path relative to the top of its git checkout, else as given."""
    top = git_top(path.parent if path.parent != Path("") else Path.cwd())
    if top is not None:
        try:
            return path.resolve().relative_to(top).as_posix()
        except ValueError:
            pass
    return path.as_posix()
