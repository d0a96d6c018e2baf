"""``reviewbot check``: the patch author's pre-send check.

Reads ``git format-patch`` files, an mbox of a series, a plain diff or stdin;
checks each patch on its own with the rest of the series as context; prints
the findings; exits 0 when clean, 1 on findings at or above ``--fail-on``,
2 when an input, option or configuration is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewbot.commands.common import (
    add_config_options, add_output_options, add_rule_options, build_config, expand_inputs,
    git_top, read_input,
)
from reviewbot.errors import InputError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` to the command line."""
    parser = sub.add_parser(
        "check",
        help="check patches (or whole files) before sending them",
        description="Check patches before they are sent: git format-patch files, an mbox of a "
                    "series (each patch checked on its own, the series as context), a plain "
                    "git diff, or stdin ('-'). With --file, check whole source files, every "
                    "line counting as added.",
        epilog="Exit status: 0 nothing at or above --fail-on, 1 findings, 2 bad input, "
               "option or configuration.",
    )
    parser.add_argument("inputs", nargs="*", metavar="PATH|-",
                        help="patch files, mbox files, directories of format-patch output, or - for stdin")
    parser.add_argument("--file", dest="files", metavar="SRC", nargs="+", default=[],
                        help="check whole source files instead of patches")
    parser.add_argument("--as", dest="as_path", metavar="TREE_PATH",
                        help="with --file: the file's path inside the kernel tree "
                             "(e.g. arch/arm64/kvm/hyp/entry.S); decides its context")
    add_output_options(parser)
    add_rule_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the check; returns the exit status."""
    from reviewbot.formats import FORMATTERS, Report
    from reviewbot.model import Severity
    from reviewbot.rules import load_rules

    if args.files and args.inputs:
        raise UsageError("give either patches or --file sources, not both")
    if args.as_path and len(args.files) != 1:
        raise UsageError("--as names the tree path of exactly one --file")
    if not args.files and not args.inputs:
        raise UsageError("nothing to check: name patch files, '-' for stdin, or --file SRC")
    config = build_config(args)
    rules = load_rules(config, select=args.select, ignore=args.ignore)
    if args.files:
        reviews, problems, lines = _check_files(args.files, args.as_path, rules, config)
    else:
        reviews, problems, lines = _check_patches(expand_inputs(args.inputs), rules, config)
    report = Report(reviews=tuple(reviews), rules=rules, lines_checked=lines)
    output = FORMATTERS[config.output.format](report)
    sys.stdout.write(output)
    sys.stdout.flush()
    for problem in problems + [p for r in reviews for p in r.problems]:
        print(f"reviewbot: error: {problem}", file=sys.stderr)
    if problems or any(r.problems for r in reviews):
        return EXIT_INPUT
    fail_on = Severity.parse(config.output.fail_on)
    return EXIT_FINDINGS if any(f.severity >= fail_on for f in report.findings) else EXIT_OK


def _check_patches(names: list[str], rules, config) -> tuple[list, list[str], int]:
    from reviewbot.engine import review
    from reviewbot.mail import assemble_series, is_reply, parse_input

    messages = []
    problems: list[str] = []
    lines = 0
    for name in names:
        try:
            data = read_input(name)
            found, errors = parse_input(data, source="<stdin>" if name == "-" else name)
        except InputError as exc:
            problems.append(str(exc))
            continue
        problems.extend(str(e) for e in errors)
        lines += data.count(b"\n")
        if found and not any(_has_diff(m) for m in found):
            if all(is_reply(m) or _is_cover(m) for m in found) and len(found) > 1:
                pass  # a thread without patches is not an error of one input
            elif not any(_is_cover(m) for m in found):
                problems.append(f"{found[0].source}: no patch found (no diff in the message)")
        messages.extend(found)
    series_list, _broken = assemble_series(messages)
    reviews = []
    for series in series_list:
        reviews.extend(review(series, rules, config).patches)
    return reviews, problems, lines


def _has_diff(message) -> bool:
    from reviewbot.mail import _DIFF_START
    return bool(_DIFF_START.search(message.body))


def _is_cover(message) -> bool:
    from reviewbot.mail import parse_subject
    return parse_subject(message.subject).index == 0


def _check_files(files: list[str], as_path: str | None, rules, config) -> tuple[list, list[str], int]:
    from reviewbot.engine import review_file

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
        reviews.append(review_file(as_path or tree_path(Path(name)), text, rules, config))
    return reviews, problems, lines


def tree_path(path: Path) -> str:
    """A file's path relative to the top of its git checkout, else as given."""
    top = git_top(path.parent if path.parent != Path("") else Path.cwd())
    if top is not None:
        try:
            return path.resolve().relative_to(top).as_posix()
        except ValueError:
            pass
    return path.as_posix()
