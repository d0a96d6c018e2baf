"""What ``reviewbot check`` says besides its findings: notes on the kernel
era it assumed, safe fixes applied (``--fix``) or shown (``--diff``), and
whether to colour the output."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.commands.common import git_top
from reviewbot.errors import InputError
from reviewbot.printable import printable

if TYPE_CHECKING:
    from reviewbot.commands.check_inputs import Source


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def colour(choice: str, stream) -> bool:
    """--color: always, never, or (auto) on a terminal unless NO_COLOR is
    set to something (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and _is_terminal(stream)


def era_notes(reviews: list, rules, tree: object | None = None) -> list[str]:
    """Where the target kernel was only guessed (from the mail date) or is
    unknown and that turned off a rule for a file the patch changes: what
    was assumed, which rules, and how to say the kernel (``tree``: the one
    checked against, whose Makefile gave no version)."""
    return notes_of_eras(eras_off(reviews, rules), tree)


#: Per guessed kernel (None: unknown), the inputs it was guessed for and the rules it turned off.
ErasOff = dict[str | None, tuple[list[str], set[str]]]


def eras_off(reviews: list, rules, off: ErasOff | None = None) -> ErasOff:
    """What :func:`era_notes` says, gathered (into ``off``, series after series)."""
    from reviewbot.analysis.context import path_matches
    from reviewbot.analysis.eras import MAIL_DATE
    from reviewbot.analysis.kernels import Era, KernelVersion

    ranged = [(r, _kernel_ranges(r)) for r in rules]
    ranged = [(r, ranges) for r, ranges in ranged if ranges]
    off = {} if off is None else off
    for review in reviews:
        if not ranged:
            continue
        if not (review.kernel_origin == MAIL_DATE or review.kernel is None):
            continue
        era = Era(KernelVersion.parse(review.kernel) if review.kernel else None)
        paths = [c.path for c in review.patch.files if c.path]
        turned_off = {_what_is_off(r, [k for k in ranges if era.satisfies(k) is not True]) for r, ranges in ranged
                      if any(era.satisfies(k) is not True for k in ranges)
                      and any(_reads(r, p) and path_matches(p, r.scope.include or ("**",))
                              and not (r.scope.exclude and path_matches(p, r.scope.exclude)) for p in paths)}
        if turned_off:
            sources, ids = off.setdefault(review.kernel, ([], set()))
            sources.append(review.patch.message.source)
            ids.update(turned_off)
    return off


def notes_of_eras(off: ErasOff, tree: object | None = None) -> list[str]:
    """The notes of :func:`era_notes`."""
    why = "no kernel tree here" if tree is None else "the tree's Makefile gives no kernel version"
    notes = []
    for version, (sources, ids) in off.items():
        where = sources[0] if len(sources) == 1 else f"{sources[0]} and {len(sources) - 1} more"
        what = (f"kernel {version} assumed from the mail date of {where}" if version is not None
                else f"the target kernel of {where} is unknown")
        notes.append(f"{what} ({why}), so {', '.join(sorted(ids))} did not "
                     f"run; say the kernel the patches are for with -c context.kernel=VERSION "
                     f"(e.g. 5.10)" + (", or check inside the kernel tree" if tree is None else ""))
    return notes


def _kernel_ranges(rule) -> list[str]:
    """The kernel ranges a rule, or part of it (a taint source), holds on."""
    sources = getattr(rule.matcher, "sources", ())
    return ([rule.scope.kernel] if rule.scope.kernel else []) + [
        s.kernel for s in sources if getattr(s, "kernel", None)]


def _what_is_off(rule, ranges: list[str]) -> str:
    if rule.scope.kernel in ranges:
        return f"{rule.id} ({rule.scope.kernel})"
    return f"{rule.id}'s sources for {', '.join(sorted(set(ranges)))}"


def _reads(rule, path: str) -> bool:
    """Does the rule read files like ``path`` (C rules .c, assembly rules .S; headers both)?"""
    if path.endswith(".c"):
        return "c" in rule.languages
    if path.endswith((".S", ".s")):
        return "arm64-asm" in rule.languages
    return True


def fixes(args: argparse.Namespace, reviews: list, source: "Source") -> tuple[list, str]:
    """--fix: apply the safe fixes to the work tree and drop their findings;
    --diff: the patch that would.  Files are found from the top of the
    checkout, and a file checked with --file is that file (whatever --as calls it)."""
    from reviewbot.commands.common import plural
    from reviewbot.fixes import UNREADABLE, apply_fixes, as_patch, fixable
    from reviewbot.records import replace

    root = (source.repo or (git_top(Path(args.tree)) if args.tree else None) or git_top(Path.cwd())
            or Path.cwd()).resolve()
    findings = [f for r in reviews for f in r.findings]
    targets = _fix_targets(args, root, {f.path for f in findings if fixable(f) and f.path})
    texts = {path: _read_source(target) for path, target in targets.items()}
    result = apply_fixes(findings, texts)
    for finding, why in result.skipped:
        if why == UNREADABLE:
            where = targets.get(finding.path or "") or root / (finding.path or "")
            why = (f"{where} cannot be read (fixes go to the files of the checkout: run inside "
                   "the kernel tree, or name it with --tree)")
        print(printable(f"reviewbot: not fixed {finding.location} [{finding.rule_id}]: {why}"), file=sys.stderr)
    if args.diff:
        patch = as_patch(texts, result.texts)
        if not patch and findings:  # say why the patch is empty
            why = (f"{plural(len(result.skipped), 'safe fix', 'safe fixes')} could not be applied (see above)"
                   if result.skipped else "none with a fix marked safe")
            print(f"reviewbot: note: {plural(len(findings), 'finding')}, {why}: "
                  "no patch (check without --diff lists them)", file=sys.stderr)
        return reviews, patch
    for path, text in result.texts.items():
        target = targets[path] or root / path
        try:
            target.write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise InputError(str(target), f"cannot write the fix: {exc.strerror or exc}") from None
    for finding in result.applied:
        print(printable(f"reviewbot: fixed {finding.location} [{finding.rule_id}]"), file=sys.stderr)
    shown = sum(1 for f in findings if f.fix and not f.suppressed and f.fix_safety != "safe")
    print(f"reviewbot: {plural(len(result.applied), 'fix', 'fixes')} applied"
          + (f"; {plural(shown, 'fix', 'fixes')} not marked safe, shown only" if shown else ""),
          file=sys.stderr)
    done = {id(f) for f in result.applied}
    return [replace(r, findings=tuple(f for f in r.findings if id(f) not in done)) for r in reviews], ""


def _fix_targets(args: argparse.Namespace, root: Path, paths: set[str]) -> dict[str, Path | None]:
    """The file each path's fixes go to: a file named with --file is itself
    (its findings carry its --as path), else the file at that path in the
    checkout (None: it would be outside it)."""
    from reviewbot.commands.check_inputs import tree_path

    named = {(args.as_path or tree_path(Path(name))): Path(name).resolve()
             for name in (args.files or ()) if name != "-"}
    targets: dict[str, Path | None] = {}
    for path in paths:
        target = named.get(path) or (root / path).resolve()
        targets[path] = target if path in named or target.is_relative_to(root) else None
    return targets


def _read_source(target: Path | None) -> str | None:
    """A file's text, or None (outside the checkout, unreadable, not UTF-8)."""
    if target is None or not target.is_file():
        return None
    try:
        return target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
