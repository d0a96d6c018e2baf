"""The command line: ``reviewbot <command> ...``.

This is the only place that turns exceptions into messages and exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 usage, input or
configuration error, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from reviewbot import __version__
from reviewbot.commands import COMMAND_MODULES
from reviewbot.errors import ReviewbotError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as ``reviewbot: error: ...``, exit 2."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise SystemExit(_fail(f"{message}", EXIT_USAGE))


def _fail(message: str, code: int) -> int:
    print(f"reviewbot: error: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The whole argparse tree; each subcommand comes from reviewbot.commands."""
    parser = _Parser(
        prog="reviewbot",
        description="Review Linux kernel patches: arm64 assembly and KVM hyp (EL2) code.",
        epilog="Run 'reviewbot COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (repeat for debug output)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"reviewbot.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"reviewbot.commands.{name}":
                continue  # a command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reviewbot`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="reviewbot: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ReviewbotError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that reports crashes
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        return _fail(f"internal error: {type(exc).__name__}: {exc} (run with -vv for a traceback)",
                     EXIT_INTERNAL)
