"""The command line: ``reviewbot <command> ...``.

This is the only place that turns exceptions into messages and exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 usage, input or
configuration error, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from reviewbot import __version__
from reviewbot.commands import COMMANDS
from reviewbot.errors import ReviewbotError
from reviewbot.printable import PrintableFormatter, printable

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as ``reviewbot: error: ...``, exit 2."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise SystemExit(_fail(f"{message}", EXIT_USAGE))

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse sizes its help to the terminal through shutil, which costs
        # a one-patch check 2.5 ms to import; os alone tells the width.
        return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)  # type: ignore[call-arg]


def _terminal_columns() -> int:
    """The width of the terminal as shutil.get_terminal_size() gives it:
    $COLUMNS, else the terminal on stdout, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _fail(message: str, code: int) -> int:
    print(f"reviewbot: error: {printable(message, lines=True)}", file=sys.stderr)
    return code


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argparse tree.  Only the command named in ``argv`` (default:
    ``sys.argv[1:]``) is registered in full, importing its module; the
    others are listed by their one-line help."""
    parser = _Parser(
        prog="reviewbot",
        description="Review Linux kernel patches: arm64 assembly and KVM hyp (EL2) code.",
        epilog="Run 'reviewbot COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (repeat for debug output)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = _command_word(sys.argv[1:] if argv is None else argv)
    for command, module_name, text in COMMANDS:
        if command == chosen:
            importlib.import_module(f"reviewbot.commands.{module_name}").register(sub)
            _verbose_too(sub.choices[command])
        else:
            sub.add_parser(command, help=text)
    return parser


def _verbose_too(parser: argparse.ArgumentParser) -> None:
    """``-v`` after the subcommand (and its own subcommands) as before it;
    unset there, the count given before it stands."""
    try:
        parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                            help="log more (repeat for debug output)")
    except argparse.ArgumentError:
        pass  # the command has its own -v
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _verbose_too(child)


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The parser of ``command`` (the top level's without one)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def _command_word(argv: Sequence[str]) -> str | None:
    """The subcommand: the first argument that is not an option (the
    top-level options take no values)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reviewbot`` command; returns the exit status."""
    parser = build_parser(argv)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # the command's usage, not the top level's
            _command_parser(parser, getattr(args, "command", None)).error(
                f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return int(exc.code or 0)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrintableFormatter("reviewbot: %(message)s"))
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), handlers=[handler])
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


#: Commands that leave nothing to finish once ``main`` returns (their
#: output written, their git processes waited for): the console script
#: ends the process at once instead of freeing every object one by one,
#: which costs a tree-aware check of 40 patches a sixth of its time.  mypy
#: ends its command line the same way.  Not the commands with worker
#: processes, clusters, mail to send or threads to join.
ENDS_AT_ONCE = frozenset({"check", "hook-check"})


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script and ``python -m reviewbot``: :func:`main`, then
    the exit (see :data:`ENDS_AT_ONCE`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    code = main(args)
    if _command_word(args) in ENDS_AT_ONCE:
        _end_now(code)
    raise SystemExit(code)


def _end_now(code: int) -> NoReturn:
    """Flush what the process wrote, then end it without the interpreter's
    teardown (no atexit handlers: the commands of ENDS_AT_ONCE register none)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: main has answered for it already
            pass
    os._exit(code)

