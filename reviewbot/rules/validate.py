"""``reviewbot rules validate``: every problem of a rule file, against the
schema first and then the loader, each as ``file:line: key: problem``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reviewbot.errors import RuleError
from reviewbot.rules.linedict import LineDict
from reviewbot.rules.loader import build_rule, read_yaml
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
    problems = []
    validator = jsonschema.Draft202012Validator(rule_schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        line, key = _line_of(data, list(error.absolute_path))
        message = error.message
        if error.validator == "enum":
            message = f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
        elif error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            message = f"{message} (valid keys: {', '.join(allowed)})"
        where = f"{path}:{line}" if line else str(path)
        problems.append(f"{where}: {key or 'top level'}: {message}")
    if not problems:
        try:
            build_rule(data, str(path))
        except RuleError as exc:
            problems.append(str(exc))
    return problems
