"""One module per subcommand.  Each exposes ``register(subparsers)``, which adds
its parser and sets ``func`` to a handler ``(args) -> int``.  Handlers import
what they need lazily, so ``reviewbot --help`` stays fast."""

from __future__ import annotations

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = ("check", "review", "watch", "rules", "parse", "install_hook")
