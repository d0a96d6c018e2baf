"""``reviewbot rules validate``: every problem of a rule file in one run
(the schema's, including its regular expressions, and the matcher's),
each as ``file:line: key: problem``; the loader's own checks when the
schema has nothing to say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reviewbot.errors import RuleError
from reviewbot.rules.linedict import LineDict
from reviewbot.rules.rule_file import build_rule, read_yaml
from reviewbot.rules.schema import rule_schema


def _line_of(data: Any, path: list[Any]) -> tuple[int | None, str]:
    """The line of the deepest mapping key on ``path``, and the dotted key."""
    line = getattr(data, "line", None)
    node = data
    keys = []
    for part in path:
        keys.append(str(part))
        if isinstance(node, LineDict) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line, ".".join(keys)


def validate_rule_file(path: Path) -> list[str]:
    """Every problem of one rule file, each ``file:line: key: problem``."""
    import jsonschema

    try:
        data = read_yaml(path)
    except RuleError as exc:
        return [str(exc)]
    if not isinstance(data, LineDict):  # the schema's other complaints about it say nothing more
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        return [f"{path}: top level: the file is {what}: a rule is a mapping (id, title, severity, ...)"]
    problems = []
    validator = jsonschema.Draft202012Validator(rule_schema(), format_checker=_regex_format())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        error = _closest(error)
        line, key = _line_of(data, list(error.absolute_path))
        message = error.message
        if error.validator == "format" and error.validator_value == "regex":
            message = f"not a valid regular expression: {_regex_problem(error.instance)}"
        elif error.validator == "enum":
            message = f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {}))
            for extra in (k for k in error.instance if k not in allowed):  # each at its own line
                line, key = _line_of(data, [*error.absolute_path, extra])
                where = f"{path}:{line}" if line else str(path)
                problems.append(f"{where}: {key}: unknown key, not allowed here (valid keys: "
                                f"{', '.join(allowed)})")
            continue
        where = f"{path}:{line}" if line else str(path)
        problems.append(f"{where}: {key or 'top level'}: {message}")
    problems.sort(key=lambda problem: _line_number(problem, path))  # in the file's order
    if not problems:
        try:
            build_rule(data, str(path))
        except RuleError as exc:
            problems.append(str(exc))
    elif (matcher := _matcher_problem(data, path, problems)) is not None:
        problems.append(matcher)
    return problems


def _line_number(problem: str, path: Path) -> int:
    rest = problem[len(str(path)):]
    digits = rest[1:].split(":", 1)[0] if rest.startswith(":") else ""
    return int(digits) if digits.isdigit() else 0


def _closest(error: Any) -> Any:
    """Of an error under ``anyOf``/``oneOf`` (a formula that fits none of its
    forms), the one sub-error that says what is wrong (an unknown key, say),
    when one form fails only for it."""
    from jsonschema.exceptions import best_match

    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return error
    unknown = [e for e in error.context if e.validator == "additionalProperties"
               and list(e.absolute_path) == list(error.absolute_path)]
    return unknown[0] if unknown else best_match(error.context) or error


def _regex_format() -> Any:
    """A format checker whose ``regex`` is Python's (the engine's) syntax."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("regex", raises=re.error)(lambda value: not isinstance(value, str) or bool(re.compile(value)) or True)
    return checker


def _regex_problem(value: Any) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        return str(exc)
    return "not compiled"


def _matcher_problem(data: Any, path: Path, problems: list[str]) -> str | None:
    """With schema problems elsewhere, the matcher block is still compiled,
    so a bad pattern is not left for the next run; None when it compiles or
    one of ``problems`` is already about it."""
    from reviewbot.match.registry import MATCHERS, compile_matcher

    if not isinstance(data, LineDict):
        return None
    kinds = [k for k in MATCHERS if k in data]
    if len(kinds) != 1:
        return None
    kind = kinds[0]
    if any(f": {kind}" in p.split(str(path), 1)[-1][:len(kind) + 12] for p in problems):
        return None
    try:
        compile_matcher(kind, data[kind], str(path))
    except RuleError as exc:
        return str(exc)
    except (ValueError, TypeError, KeyError, re.error) as exc:
        line = data.lines.get(kind)
        return f"{path}:{line}: {kind}: {exc}" if line else f"{path}: {kind}: {exc}"
    return None


def rule_ids(files: list[Path]) -> list[tuple[str, Path, int | None]]:
    """(id, file, line of its ``id:`` key) of each file whose id can be
    read; a file without one is :func:`validate_rule_file`'s to report."""
    found = []
    for path in files:
        try:
            data = read_yaml(path)
        except RuleError:
            continue
        if isinstance(data, LineDict) and isinstance(data.get("id"), str):
            found.append((data["id"], path, data.lines.get("id")))
    return found


def duplicate_ids(files: list[Path]) -> list[str]:
    """``file:line: id: duplicate rule id ...`` for each file whose id an
    earlier one of ``files`` has already (the loader refuses such a pack)."""
    first: dict[str, Path] = {}
    problems = []
    for rule_id, path, line in rule_ids(files):
        if rule_id in first:
            where = f"{path}:{line}" if line else str(path)
            problems.append(f"{where}: id: duplicate rule id {rule_id!r} (also in {first[rule_id]})")
        else:
            first[rule_id] = path
    return problems
