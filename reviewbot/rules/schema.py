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
