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
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import (
    add_config_options, add_output_options, add_rule_options, build_config, read_input,
)
from reviewbot.commands.check_inputs import Source, tree_path, tree_of
from reviewbot.commands.check_output import colour, era_notes, fixes
from reviewbot.errors import InputError, UsageError
from reviewbot.printable import printable

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
B4_FORMATS = ("b4", "b4-review")

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
    with _fewer_collections():
        return _run(args)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while a check runs: a
    review makes many small objects that live to its end and few cycles,
    and a full collection walks them all again and again (a tenth of a
    tree-aware check of 200 patches, for some 2% more memory).  The
    thresholds are mypy's, for the same reason."""
    before = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        # what the check made goes to the oldest generation as it is: with
        # the threshold back at its default, the next allocation would
        # otherwise walk the young objects of the whole check (most of a
        # check's objects, at its very end)
        gc.freeze()
        gc.unfreeze()
        gc.set_threshold(*before)


def _run(args: argparse.Namespace) -> int:
    from reviewbot.formats import FORMATTERS, Report
    from reviewbot.model import Severity
    from reviewbot.rules.loader import load_rules

    _check_usage(args)
    config = build_config(args)
    rules = load_rules(config, select=args.select, ignore=args.ignore)
    # b4 modes read stdin by default (asked for on the command line, as b4's
    # check commands do) and print nothing on stderr (whatever set the format)
    source = Source(args, args.format in B4_FORMATS)
    b4_mode = config.output.format in B4_FORMATS
    tree = tree_of(args, config, source)
    notes: list[str] = []
    if args.files:
        reviews, problems, lines = _check_files(args.files, args.as_path, rules, config, tree)
    else:
        messages, problems, lines = source.messages(notes, quiet_no_patch=b4_mode)
        reviews, failures = _review_messages(messages, rules, config, tree)
        problems.extend(failures)
        reviews.extend(_review_replies(messages, rules, config, problems))
    reviews, notes_from_suppressions = _suppress(args, reviews, rules, config)
    notes.extend(notes_from_suppressions)
    notes.extend(era_notes(reviews, rules, tree))
    if args.fix or args.diff:
        reviews, patch = fixes(args, reviews, source)
        if args.diff:
            sys.stdout.write(patch)
            return EXIT_FINDINGS if patch else EXIT_OK
    if b4_mode:
        report = Report(reviews=tuple(reviews), rules=rules, lines_checked=lines, problems=tuple(problems))
    else:
        report = Report(reviews=tuple(reviews), rules=rules, lines_checked=lines, quiet=args.quiet,
                        color=colour(args.color, sys.stdout), problems=tuple(problems))
    sys.stdout.write(FORMATTERS[config.output.format](report))
    sys.stdout.flush()
    all_problems = problems + [p for r in reviews for p in r.problems]
    if not b4_mode:  # b4 reads every stderr line as a failure
        for problem in all_problems:
            # for the send-email hook an input problem does not block: not an error there
            label = "note" if getattr(args, "problems_do_not_block", False) else "error"
            print(f"reviewbot: {label}: {printable(problem)}", file=sys.stderr)
        for note in [] if args.quiet else notes:
            print(f"reviewbot: note: {printable(note)}", file=sys.stderr)
    # Blocking findings win over input problems: a hook must refuse a series
    # with an error in it even when another of its patches could not be read.
    fail_on = Severity.parse(config.output.fail_on)
    if any(f.severity >= fail_on for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_INPUT if all_problems else EXIT_OK


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


def _review_replies(messages: list, rules, config, problems: list[str]) -> list:
    """The code suggested in the replies among ``messages`` (and in the
    earlier mails a lone message quotes, since they are not there on their
    own), as reviews whose findings sit at the reply's lines."""
    from reviewbot.mail.series import parse_subject
    from reviewbot.model import Patch, PatchReview
    from reviewbot.pipeline import review_replies

    reviews = []
    for done in review_replies(messages, rules, config, quoted=len(messages) == 1):
        problems.extend(done.problems)
        if done.findings:
            patch = Patch(message=done.message, tags=parse_subject(done.message.subject),
                          commit_message="", files=())
            reviews.append(PatchReview(patch=patch, findings=done.findings))
    return reviews


def _check_files(files: list[str], as_path: str | None, rules, config, tree) -> tuple[list, list[str], int]:
    from reviewbot.analysis.kernels import Era
    from reviewbot.engine import review_file

    era = None
    if tree is not None and (version := tree.kernel_version()) is not None:
        era = Era(version, "tree")
    reviews, problems, lines = [], [], 0
    for name in files:
        if name != "-" and Path(name).is_dir():
            problems.append(f"{name}: is a directory (name the source files in it)")
            continue
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

