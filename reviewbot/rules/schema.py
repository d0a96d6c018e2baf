"""The rule file format: ``schema.json`` (JSON Schema 2020-12) is its one
definition.  ``rules validate`` enforces it with jsonschema; the loader
takes its keys, required keys and choices from it (:func:`facts`), so the
two cannot disagree; the rule authoring guide (docs/rules.md) is checked
against it by the tests.  Problems read ``file:line: key: problem``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewbot.errors import RuleError
from reviewbot.records import record

SCHEMA_PATH = Path(__file__).with_name("schema.json")


@lru_cache(maxsize=1)
def rule_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@record
class SchemaFacts:
    """What the loader needs to know of the schema."""

    top_keys: tuple[str, ...]
    required: tuple[str, ...]
    matcher_keys: tuple[str, ...]  # exactly one of them
    languages: tuple[str, ...]
    scope_keys: tuple[str, ...]
    hyp_choices: tuple[str, ...]
    diff_keys: tuple[str, ...]
    diff_modes: tuple[str, ...]
    fix_keys: tuple[str, ...]
    fix_safety: tuple[str, ...]


@lru_cache(maxsize=1)
def facts() -> SchemaFacts:
    """The keys, required keys and choices of a rule file, from the schema."""
    schema = rule_schema()
    props = schema["properties"]
    scope = props["scope"]["properties"]
    diff = props["diff"]["properties"]
    fix = next(alt for alt in props["fix"]["oneOf"] if alt.get("type") == "object")
    return SchemaFacts(
        top_keys=tuple(props),
        required=tuple(schema["required"]),
        matcher_keys=tuple(alt["required"][0] for alt in schema["oneOf"]),
        languages=tuple(props["languages"]["items"]["enum"]),
        scope_keys=tuple(scope),
        hyp_choices=tuple(str(c) for c in scope["hyp"]["enum"] if isinstance(c, str)),
        diff_keys=tuple(diff),
        diff_modes=tuple(diff["mode"]["enum"]),
        fix_keys=tuple(fix["properties"]),
        fix_safety=tuple(fix["properties"]["safety"]["enum"]),
    )


def _line_of(data: Any, path: list[Any]) -> tuple[int | None, str]:
    """The line of the deepest mapping key on ``path``, and the dotted key."""
    from reviewbot.rules.linedict import LineDict

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

    from reviewbot.rules.loader import build_rule, read_yaml

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
