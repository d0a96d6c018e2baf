"""Every rule against its own annotated cases, with only that rule enabled;
every rule documented and tested; the loader's errors."""

from __future__ import annotations

import pytest

from reviewbot.config import load_config
from reviewbot.errors import RuleError
from reviewbot.rules.loader import DESCRIPTION_SECTIONS, load_rule_file, load_rules
from reviewbot.rules.harness import run_rule_tests, case_files

CONFIG = load_config()
RULES = list(load_rules(CONFIG))


def test_the_pack_is_not_empty():
    assert len(RULES) >= 2


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_cases(rule):
    assert case_files(rule), f"{rule.id} has no test file beside {rule.path}"
    for result in run_rule_tests(rule, CONFIG, known_ids={r.id for r in RULES}):
        assert result.ok, "\n".join(result.missing + result.noisy + result.errors)
        assert result.passed >= 2


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    for heading in DESCRIPTION_SECTIONS:
        assert f"## {heading}" in rule.description, f"{rule.id}: no '{heading}' section"
    assert rule.references, f"{rule.id}: no references"
    assert rule.fix, f"{rule.id}: no fix hint"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_validates_against_the_schema(rule):
    pytest.importorskip("jsonschema")
    from pathlib import Path

    from reviewbot.rules.validate import validate_rule_file
    assert validate_rule_file(Path(rule.path)) == []


@pytest.mark.parametrize("text, expected", [
    ("id: a.b\ntitle: x\nseverity: error\nmessage: m\nmatch: nop\nsevrity: x\n",
     ":6: sevrity: unknown key 'sevrity'"),
    ("id: a.b\ntitle: x\nseverity: fatal\nmessage: m\nmatch: nop\n",
     ":3: severity: unknown severity 'fatal' (choose from info, warning, error)"),
    ("id: a.b\ntitle: x\nseverity: error\nmessage: m\nmatchh: nop\n", ":5: matchh: unknown key"),
    ("id: a.b\ntitle: x\nseverity: error\nmessage: m\nmatch: {pattern: nop, wher: []}\n",
     "match: unknown key 'wher'"),
    ("id: a.b\ntitle: x\nseverity: error\nmessage: m\nmatch: nop\ndiff: {mode: sometimes}\n",
     "mode: unknown diff mode 'sometimes' (valid: added, context, file, new)"),
    ("id: a.b\ntitle: x\nseverity: error\nmessage: m\n", "needs exactly one of: match, taint, comment, regex"),
    ("id: A_B\ntitle: x\nseverity: error\nmessage: m\nmatch: nop\n", "'A_B' is not a valid rule id"),
])
def test_loader_errors_name_file_line_and_key(tmp_path, text, expected):
    path = tmp_path / "a.b.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)


def test_select_and_ignore_most_specific_wins():
    config = load_config(overrides=["rules.select=[arm64.sysreg]",
                                    "rules.ignore=[arm64.sysreg.write-to-read-only]"])
    ids = [r.id for r in load_rules(config)]
    assert "arm64.sysreg.msr-mrs-operand-order" in ids
    assert "arm64.sysreg.write-to-read-only" not in ids


def test_a_selector_is_an_id_or_a_prefix_that_ends_at_a_dot():
    ids = [r.id for r in load_rules(CONFIG, select=["arm64.sysreg"])]
    assert ids and all(i.startswith("arm64.sysreg.") for i in ids)
    with pytest.raises(RuleError, match="no rule is called 'arm64.sys'"):
        load_rules(CONFIG, select=["arm64.sys"])


def test_the_guide_and_the_loader_agree_with_the_schema():
    """docs/rules.md's table of keys lists exactly the schema's keys, and says
    'yes' for exactly the keys the schema (and so the loader) requires."""
    import re
    from pathlib import Path

    from reviewbot.rules.schema import facts

    guide = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| *([a-z]*) *\|", guide, re.MULTILINE))
    schema = facts()
    assert set(rows) == set(schema.top_keys) - set(schema.matcher_keys)
    assert {key for key, required in rows.items() if required == "yes"} == set(schema.required)
    for key in schema.required:  # the loader refuses a rule without it
        text = "id: a.b\ntitle: x\nseverity: error\nmessage: m\nmatch: nop\n"
        text = "\n".join(line for line in text.splitlines() if not line.startswith(key + ":")) + "\n"
        with pytest.raises(RuleError, match=f"missing required key '{key}'"):
            from reviewbot.rules.loader import build_rule
            from reviewbot.rules.yaml_lines import load_with_lines
            build_rule(load_with_lines(text), "a.b.yaml")


def test_unknown_selection_is_an_error():
    with pytest.raises(RuleError, match="no rule is called 'arm64.nope'"):
        load_rules(CONFIG, select=["arm64.nope"])
