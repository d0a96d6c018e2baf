"""Discover and load the rule pack: the rule directories of the
configuration, every rule file in them (a broken file does not hide the
next), and the selection (``--select``/``--ignore``, severity overrides).
One file is read and built by :mod:`reviewbot.rules.rule_file`; the full
format is ``reviewbot/rules/schema.json`` (``reviewbot rules validate``
enforces it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reviewbot.config import Config
from reviewbot.errors import RuleError
from reviewbot.model import Severity
from reviewbot.resources import data_path
from reviewbot.rules.rule_file import (  # noqa: F401 - the loader's public names, re-exported
    DESCRIPTION_SECTIONS, RULE_ID, DiffSpec, Rule, RuleSet, Scope, build_rule, load_rule_file, read_yaml,
)

def rule_files(directories: Iterable[Path]) -> list[Path]:
    """Every ``*.yaml`` rule file below the directories (tests excluded), sorted;
    a file reached twice (``rules`` and ``./rules`` of a checkout, a directory
    and a file in it) once, by the name it was first reached by."""
    files: dict[Path, Path] = {}
    for directory in directories:
        if directory.is_file():
            files.setdefault(directory.resolve(), directory)
            continue
        if not directory.is_dir():
            raise RuleError(str(directory), None, None, "no such rule directory")
        for path in directory.rglob("*.yaml"):
            if not path.name.endswith(".test.yaml"):
                files.setdefault(path.resolve(), path)
    return sorted(files.values())


def rule_directories(config: Config) -> list[Path]:
    """The packaged pack, then the configured extra directories, each once
    (in a checkout ``--rules rules`` names the packaged pack again)."""
    directories: dict[Path, Path] = {}
    for directory in [data_path("rules"), *(Path(p) for p in config.rules.paths)]:
        directories.setdefault(directory.resolve(), directory)
    return list(directories.values())


def load_rules(config: Config, *, select: Iterable[str] = (), ignore: Iterable[str] = (),
               directories: Iterable[Path] | None = None) -> RuleSet:
    """Load and select the rules ``config`` asks for (plus ``select``/``ignore``)."""
    dirs = list(directories) if directories is not None else rule_directories(config)
    from reviewbot.rules.cache import cached

    files = rule_files(dirs)
    rules = cached(files, lambda: load_rule_files(files))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(rule.path, None, "id", f"duplicate rule id {rule.id!r} (also in {seen[rule.id]})")
        seen[rule.id] = rule.path
    selected = tuple(config.rules.select) + tuple(select)
    ignored = tuple(config.rules.ignore) + tuple(ignore)
    known = set(seen)
    for name in (*selected, *ignored):
        if not any(selects(name, rid) for rid in known):
            raise RuleError("--select/--ignore", None, None,
                            f"no rule is called {name!r} (see 'reviewbot rules list')")
    for glob, names in config.rules.per_path_ignores:  # a typo here must not silently ignore nothing
        for name in names:
            if not any(selects(name, rid) for rid in known):
                raise RuleError("configuration", None, f"rules.per-path-ignores.{glob}",
                                f"no rule is called {name!r} (see 'reviewbot rules list')")
    overrides = dict(config.rules.severity_overrides)
    chosen = []
    for rule in rules:
        if _decide(rule.id, selected, ignored):
            if rule.id in overrides:
                rule = _override_severity(rule, overrides[rule.id])
            chosen.append(rule)
    return RuleSet(tuple(sorted(chosen, key=lambda r: r.id)))


def selects(name: str, rule_id: str) -> bool:
    """``name`` is the rule's id or a prefix of it that ends at a dot:
    ``arm64.sysreg`` selects ``arm64.sysreg.*``, ``arm64.sys`` selects nothing."""
    return rule_id == name or rule_id.startswith(name.rstrip(".") + ".")


def _decide(rule_id: str, selected: tuple[str, ...], ignored: tuple[str, ...]) -> bool:
    """The most specific of select/ignore wins (flake8's decision engine); as
    specific as each other, ignore wins: ``--ignore RULE`` does not run it."""
    best_select = max((len(s) for s in selected if selects(s, rule_id)), default=-1 if selected else 0)
    best_ignore = max((len(s) for s in ignored if selects(s, rule_id)), default=-1)
    return best_select >= 0 and best_select > best_ignore  # a tie: ignored, as flake8 decides


def _override_severity(rule: Rule, name: str) -> Rule:
    from reviewbot.records import replace
    try:
        return replace(rule, severity=Severity.parse(name))
    except ValueError as exc:
        raise RuleError("config", None, f"rules.severity-overrides.{rule.id}", str(exc)) from None


def load_rule_files(files: Iterable[Path]) -> list[Rule]:
    """Every rule of ``files``; a broken file does not hide the next: the
    problems of all of them are raised together (``rules validate``'s)."""
    rules, broken = [], []
    for path in files:
        try:
            rules.append(load_rule_file(path))
        except RuleError as exc:
            broken.append((path, exc))
    if len(broken) == 1 and broken[0][1].problem.startswith("not valid YAML"):
        raise broken[0][1]
    if broken:
        from reviewbot.rules.validate import validate_rule_file
        lines = [line for path, exc in broken for line in (validate_rule_file(path) or [str(exc)])]
        if len(lines) == 1:
            raise broken[0][1]
        files_text = f"{len(broken)} rule file{'s' if len(broken) != 1 else ''}"
        raise RuleError(f"{files_text} cannot be loaded", None, None,
                        f"{len(lines)} problems:\n  " + "\n  ".join(lines))
    return rules
