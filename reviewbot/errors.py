"""The one error hierarchy.  Every error names its input and what is wrong;
only :func:`reviewbot.cli.main` prints them (``reviewbot: error: ...``)."""

from __future__ import annotations


class ReviewbotError(Exception):
    """Base of every error reviewbot reports to a user."""

    exit_code = 2


class ConfigError(ReviewbotError):
    """A configuration file or option is wrong."""


class UsageError(ReviewbotError):
    """The command line asks for something that cannot be done."""


class InputError(ReviewbotError):
    """An input (a patch, an mbox, a file) cannot be read as what it should be."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class MailParseError(InputError):
    """A message cannot be parsed as mail or holds no usable patch."""


class DiffParseError(InputError):
    """A diff cannot be parsed (hunk counts that lie, a truncated hunk)."""


class RuleError(ReviewbotError):
    """A rule file is wrong: ``path:line: key: problem``."""

    def __init__(self, path: str, line: int | None, key: str | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem
        where = f"{path}:{line}" if line else path
        what = f"{key}: {problem}" if key else problem
        super().__init__(f"{where}: {what}")


class AsmSyntaxError(ReviewbotError):
    """A line of assembly (or a rule pattern) does not parse."""

    def __init__(self, source: str, line: int, column: int, problem: str, context: str = "") -> None:
        self.source = source
        self.line = line
        self.column = column
        self.problem = problem
        self.context = context
        super().__init__(f"{source}:{line}:{column}: {problem}")


class RemoteError(ReviewbotError):
    """A remote server (lore, SMTP) failed or answered garbage."""


def crash(exc: BaseException) -> str:
    """What a crash inside reviewbot was and where it happened, for a
    problem report (the pure core returns problems; it does not log)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
