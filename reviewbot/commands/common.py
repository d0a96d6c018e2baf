"""Options and steps shared by the subcommands: configuration, rule
selection, output format, and reading inputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewbot.config import USER_ONLY, Config, load_config, with_state_paths
from reviewbot.errors import InputError, UsageError

FORMAT_CHOICES = ("text", "checkpatch", "json", "sarif", "b4", "b4-review")
SEVERITY_CHOICES = ("info", "warning", "error")


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 reply``, ``2 replies``: the count and the word as it agrees."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` and ``-c section.key=value``."""
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="FILE", action="append", default=[],
                       help="a YAML configuration file (repeatable; later files win). "
                            "Default: ~/.config/reviewbot/config.yaml, then .reviewbot.yaml at "
                            "the top of the git checkout (which may not set the "
                            f"{', '.join(USER_ONLY)} sections), over the packaged defaults")
    group.add_argument("-c", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                       help="override one configuration key, e.g. -c output.fail-on=warning")


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    """``--select``, ``--ignore``, ``--rules DIR``."""
    group = parser.add_argument_group("rules")
    group.add_argument("--select", metavar="RULE", action="append", default=[],
                       help="run only these rule ids or id prefixes (repeatable)")
    group.add_argument("--ignore", metavar="RULE", action="append", default=[],
                       help="do not run these rule ids or id prefixes (repeatable)")
    group.add_argument("--rules", metavar="DIR", action="append", default=[],
                       help="also load the rules in DIR (repeatable)")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``--format`` and ``--fail-on``."""
    group = parser.add_argument_group("output")
    group.add_argument("--format", choices=FORMAT_CHOICES, default=None,
                       help="text (path:line: severity: [rule] message, the default), checkpatch "
                            "(terse lines and a total: line), json, sarif (2.1.0), b4 "
                            "(b4 perpatch-check), b4-review (the JSON array of b4 review)")
    group.add_argument("--fail-on", choices=SEVERITY_CHOICES, default=None,
                       help="exit 1 when a finding is at least this severe (default: error)")


def user_config_files(start: Path | None = None) -> list[Path]:
    """checkpatch-like discovery: the user's config, then ``.reviewbot.yaml``
    at the top of the git checkout containing ``start`` (the later wins)."""
    own, repository = discover_config_files(start)
    return own + repository


def discover_config_files(start: Path | None = None) -> tuple[list[Path], list[Path]]:
    """(the user's own configuration file, the checkout's ``.reviewbot.yaml``),
    each a list of zero or one file.  Only the first is trusted with the
    sections that steer mail, credentials, servers and state."""
    import os
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(xdg) / "reviewbot" / "config.yaml"
    top = git_top(start or Path.cwd())
    repository = top / ".reviewbot.yaml" if top is not None else None
    return ([user] if user.is_file() else [],
            [repository] if repository is not None and repository.is_file() else [])


def state_dir() -> Path:
    """Where the bot keeps its state unless configured otherwise (the outbox,
    its database, the watcher's database): ``$XDG_STATE_HOME/reviewbot``,
    else ``~/.local/state/reviewbot``; one place, whatever the current
    directory."""
    import os
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "reviewbot"


def git_top(start: Path) -> Path | None:
    """The top of the git work tree containing ``start`` (no git call)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def build_config(args: argparse.Namespace) -> Config:
    """The layered configuration for this run: files named with --config
    (trusted, as the command line is), else the discovered ones."""
    paths, repository = (list(args.config), []) if args.config else discover_config_files()
    overrides = list(args.overrides)
    if getattr(args, "rules", None):
        import json
        overrides.append("rules.paths=" + json.dumps(list(args.rules)))
    if getattr(args, "format", None):
        overrides.append(f"output.format={args.format}")
    if getattr(args, "fail_on", None):
        overrides.append(f"output.fail-on={args.fail_on}")
    return with_state_paths(load_config(paths, overrides, repository=repository), str(state_dir()))


def read_input(name: str) -> bytes:
    """The bytes of a file, or of stdin for ``-``; InputError names the input."""
    if name == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("reading a patch from stdin, but stdin is a terminal (pipe a patch in, or name files)")
        return sys.stdin.buffer.read()
    path = Path(name)
    if path.is_dir():
        raise InputError(name, "is a directory (name the .patch files in it)")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None


def expand_inputs(names: list[str]) -> list[str]:
    """Directories of ``git format-patch`` output become their patch
    files, and a maildir its messages (``cur/`` and ``new/``)."""
    if names.count("-") > 1:
        raise UsageError("'-' (standard input) given more than once: it can be read only once")
    result = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
            found = sorted(str(p) for sub in ("cur", "new") if (path / sub).is_dir()
                           for p in (path / sub).iterdir() if p.is_file() and not p.name.startswith("."))
            if not found:
                raise InputError(name, "a maildir without a message in cur/ or new/")
            result.extend(found)
        elif name != "-" and path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix in (".patch", ".eml", ".mbox", ".diff"))
            if not found:
                raise InputError(name, "the directory holds no .patch, .eml, .mbox or .diff file, "
                                       "and is no maildir (no cur/ or new/)")
            result.extend(found)
        else:
            result.append(name)
    return result
