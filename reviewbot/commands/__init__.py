"""One module per subcommand.  Each exposes ``register(subparsers)``, which adds
its parser and sets ``func`` to a handler ``(args) -> int``.  Handlers import
what they need lazily, and the command line imports only the module of the
command it runs (the others are listed by their one-line help alone), so
``reviewbot --help`` and a one-patch check stay fast."""

from __future__ import annotations

#: ``(command, module, one-line help)``, in the order ``--help`` lists them.
COMMANDS = (
    ("check", "check", "check patches, commits or uncommitted changes before sending them"),
    ("review", "review", "review the patches in mail and write the replies to an outbox (send with --send)"),
    ("watch", "watch", "follow lore (public-inbox) and review every new matching series, once"),
    ("backtest", "backtest", "run the rule pack over whole list archives, locally or on a Dask cluster"),
    ("rules", "rules", "list, show, test and validate rules; start a new one; precision from the labels"),
    ("parse", "parse", "parse arm64 assembly files and print the AST or coverage statistics"),
    ("sysreg", "sysreg", "show what the system-register table knows of a register, and its sources"),
    ("b4-agent", "agent", "review the b4 review branch checked out here, as b4's review agent"),
    ("install-hook", "install_hook", "install (or remove) the git send-email hook that checks each message before it is sent"),
    ("hook-check", "hook_check", "check one message for the git send-email hook (refuses when it cannot check)"),
)


def help_line(command: str) -> str:
    """The one-line help of ``command``."""
    return next(text for name, _, text in COMMANDS if name == command)
