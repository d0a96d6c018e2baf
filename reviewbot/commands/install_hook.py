"""``reviewbot install-hook``: git send-email's ``sendemail-validate`` hook.

The hook checks every message ``git send-email`` is about to send (with
``reviewbot hook-check``) and refuses the whole send, before anything goes
out, for findings at or above ``--fail-on`` (default: error) and whenever
reviewbot cannot check (a configuration error, reviewbot gone): it fails
closed; only a message without a patch (the cover letter) passes unchecked.  It is installed where git runs hooks
(``core.hooksPath`` honoured); a hook already there is kept, renamed to
``sendemail-validate.pre-reviewbot``, and called first.  ``--uninstall``
removes only what reviewbot installed and puts the kept hook back.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import SEVERITY_CHOICES, git_top
from reviewbot.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``install-hook`` to the command line."""
    parser = sub.add_parser(
        "install-hook",
        help=help_line("install-hook"),
        description="Install git send-email's sendemail-validate hook in the current checkout: "
                    "each message is checked before anything is sent, findings are printed on "
                    "stderr, and the send is refused for findings at or above --fail-on and "
                    "whenever reviewbot cannot check (a configuration error): it fails closed. "
                    "The hook goes where git runs hooks from (core.hooksPath is honoured); a "
                    "hook already there is kept as sendemail-validate.pre-reviewbot and called "
                    "first. The hook changes nothing; 'git send-email --no-validate' skips it.",
        epilog="Exit status: 0 done (or nothing to do), 2 not in a git checkout, or a hook "
               "in the way that is not reviewbot's.",
    )
    parser.add_argument("--uninstall", action="store_true",
                        help="remove the hook reviewbot installed (and put back the one it kept); "
                             "a hook reviewbot did not install is left alone")
    parser.add_argument("--fail-on", choices=SEVERITY_CHOICES, default="error",
                        help="the lowest severity that refuses the send (default: error)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Install or remove the hook; returns the exit status."""
    from reviewbot.analysis import git as precheck

    top = git_top(Path.cwd())
    if top is None:
        raise UsageError(f"install-hook: {Path.cwd()} is not inside a git checkout")
    hooks = precheck.hooks_dir(top)
    hook = hooks / precheck.HOOK_NAME
    kept = hooks / (precheck.HOOK_NAME + precheck.CHAINED_SUFFIX)
    if args.uninstall:
        return _uninstall(hook, kept)
    return _install(hook, kept, args.fail_on)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _install(hook: Path, kept: Path, fail_on: str) -> int:
    from reviewbot.analysis import git as precheck

    hook.parent.mkdir(parents=True, exist_ok=True)
    action = "installed"
    if _exists(hook):
        if precheck.is_our_hook(hook):
            action = "updated"
        elif _exists(kept):
            raise UsageError(f"{hook} is not reviewbot's and {kept} exists too; "
                             "not touching either (move one of them away first)")
        else:
            runs = os.access(hook, os.X_OK)  # git runs only an executable hook, and so does ours
            os.rename(hook, kept)
            action = (f"installed (the hook that was there is kept as {kept.name} and runs first)" if runs else
                      f"installed (the hook that was there is kept as {kept.name}; it is not executable, "
                      "so it does not run, as git did not run it either)")
    python, pythonpath = _interpreter()
    script = precheck.hook_script(python, pythonpath, fail_on)
    temporary = hook.with_name(f".{hook.name}.reviewbot-{os.getpid()}")
    temporary.write_text(script, encoding="utf-8")
    temporary.chmod(0o755)
    os.replace(temporary, hook)
    print(f"reviewbot: {action}: {hook} (refuses a send on findings at or above '{fail_on}')")
    return 0


def _uninstall(hook: Path, kept: Path) -> int:
    from reviewbot.analysis import git as precheck

    if not _exists(hook):
        print(f"reviewbot: no {hook.name} hook in {hook.parent}; nothing to remove")
        return 0
    if not precheck.is_our_hook(hook):
        print(f"reviewbot: {hook} was not installed by reviewbot; left alone")
        return 0
    hook.unlink()
    if _exists(kept):
        os.rename(kept, hook)
        print(f"reviewbot: removed reviewbot's hook; {hook} is the one it had kept again")
    else:
        print(f"reviewbot: removed {hook}")
    return 0


def _interpreter() -> tuple[str, str | None]:
    """This Python, and the directory to put on PYTHONPATH when reviewbot
    is not installed in it (run from a source checkout)."""
    import sysconfig

    import reviewbot
    package_parent = Path(reviewbot.__file__).resolve().parent.parent
    installed = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    python = sys.executable or "python3"
    return python, None if package_parent in installed else str(package_parent)
