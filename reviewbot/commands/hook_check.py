"""``reviewbot hook-check MESSAGE``: what the ``sendemail-validate`` hook
runs for each message ``git send-email`` is about to send.

It is ``reviewbot check --format text MESSAGE`` with one difference in what
a failure means.  A pre-send gate that lets a patch through because it
could not run is worse than none, so anything that stops reviewbot from
checking (a configuration error, a rule file that does not load, a crash)
refuses the send: exit 2 (3 for a crash) with one line saying what is
wrong.  Only a message reviewbot cannot check, because it holds no patch it
can read (a cover letter, a note, a diff that does not parse), passes, with
a note; a file that is no message at all (missing, empty, binary) is
refused, as the help says.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import SEVERITY_CHOICES
from reviewbot.errors import ReviewbotError

EXIT_INPUT = 2  # check's status for messages it could not read


class NotChecked(ReviewbotError):
    """reviewbot could not run, so the hook refuses the send."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``hook-check`` to the command line."""
    parser = sub.add_parser(
        "hook-check",
        help=help_line("hook-check"),
        description="Check one message for git send-email's sendemail-validate hook (the hook "
                    "'reviewbot install-hook' writes runs it). Findings go to stdout as with "
                    "'check'. A configuration or rule error refuses the send; a message without "
                    "a readable patch (a cover letter) passes.",
        epilog="Exit status: 0 send it (clean, or nothing reviewbot can check); 1 findings at or "
               "above --fail-on; 2 reviewbot cannot check (configuration, rules, input it "
               "cannot read as a message); 3 an internal error. The hook refuses the send "
               "for anything but 0.",
    )
    parser.add_argument("message", metavar="FILE", help="the message file git send-email passes ($1)")
    parser.add_argument("--fail-on", choices=SEVERITY_CHOICES, default="error",
                        help="the lowest severity that refuses the send (default: error)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the message; returns the exit status."""
    from reviewbot.cli import build_parser

    _readable_message(args.message)
    argv = ["check", "--fail-on", args.fail_on, "--format", "text", args.message]
    check_args = build_parser(argv).parse_args(argv)
    check_args.problems_do_not_block = True  # the message is sent all the same: said as notes
    try:
        status = int(check_args.func(check_args))
    except ReviewbotError as exc:
        raise NotChecked(f"{exc} (nothing was sent: fix this, or send with "
                         "'git send-email --no-validate')") from exc
    if status == EXIT_INPUT:
        print(f"reviewbot: note: {Path(args.message).name} has no patch reviewbot can read "
              "(see above); not blocking the send", file=sys.stderr)
        return 0
    return status


def _readable_message(name: str) -> None:
    """NotChecked for a file that cannot be read, or read as mail at all
    (missing, empty, binary): what passes is a message without a patch,
    not something that is no message."""
    from reviewbot.commands.common import read_input
    from reviewbot.errors import InputError
    from reviewbot.mail.parse import parse_input

    try:
        parse_input(read_input(name), source=name)
    except InputError as exc:
        raise NotChecked(f"{exc}: not a message git send-email would send (nothing was sent: fix this, "
                         "or send with 'git send-email --no-validate')") from exc

