"""``reviewbot rules list|show|test|validate``."""

from __future__ import annotations

import pytest

from reviewbot.cli import main


def test_list_names_every_rule(capsys):
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    assert "arm64.sysreg.msr-mrs-operand-order" in out and "arm64.hyp.missing-kern-hyp-va" in out


def test_show_renders_the_documentation(capsys):
    assert main(["rules", "show", "arm64.hyp.missing-kern-hyp-va"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("arm64.hyp.missing-kern-hyp-va: a kernel VA used as an address at EL2")
    for heading in ("What it checks", "Why it matters", "Example", "Use instead", "References"):
        assert f"## {heading}" in out
    assert "code: nvhe" in out and "diff mode: new" in out


def test_show_unknown_rule(capsys):
    assert main(["rules", "show", "nope"]) == 2
    assert "no rule is called 'nope'" in capsys.readouterr().err


def test_rules_test_ends_with_the_plain_summary_line(capsys):
    assert main(["rules", "test", "arm64.sysreg.write-to-read-only"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "29 passed, 0 failed"


def _validate_one(capsys, tmp_path, text: str):
    """``rules validate`` of one rule file holding ``text``, which it refuses: (the file, the output)."""
    bad = tmp_path / "my.rule.yaml"
    bad.write_text(text)
    assert main(["rules", "validate", str(tmp_path)]) == 1
    return bad, capsys.readouterr().out


def test_validate_reports_file_line_key_and_choices(capsys, tmp_path):
    bad, out = _validate_one(capsys, tmp_path, "id: my.rule\ntitle: a title\nseverity: fatal\nmessage: m\n"
                             "match: nop\ndescription: x\nreferences: [r]\n")
    assert f"{bad}:3: severity: 'fatal' is not one of: error, warning, info" in out
    assert f"{bad}:6: description:" in out


def test_validate_names_a_misspelt_key_in_a_formula_and_keeps_the_file_order(capsys, tmp_path):
    bad, out = _validate_one(capsys, tmp_path, "id: my.rule\nseverity: warning\nlanguages: [arm64-asm]\n"
                             "message: x\nmatch:\n  pattren: 'msr $R, tpidr_el2'\n")
    assert f"{bad}:6: match.pattren: unknown key, not allowed here (valid keys: pattern, " in out
    lines = [int(line.split(":")[1]) for line in out.splitlines() if line.startswith(str(bad))]
    assert lines == sorted(lines) and len(lines) >= 3


@pytest.mark.parametrize("text, says", [("", "the file is empty"), ("- a\n- b\n", "the file is a list, not a mapping")])
def test_validate_says_plainly_a_file_is_no_mapping(capsys, tmp_path, text, says):
    bad, out = _validate_one(capsys, tmp_path, text)
    # one line, not the schema's "None is valid under each of {...}"
    assert out.splitlines()[0] == f"{bad}: top level: {says}: a rule is a mapping (id, title, severity, ...)"
    assert "valid under each of" not in out


def test_validate_the_pack(capsys):
    assert main(["rules", "validate"]) == 0


def test_the_smallest_rule_of_the_docs_validates_and_finds(capsys, tmp_path):
    import re

    from tests.conftest import ROOT, make_patch, run_cli

    docs = (ROOT / "docs" / "rules.md").read_text()
    block = re.search(r"```yaml\n(id: (\S+)\n.*?)```", docs, re.S)
    assert block, "docs/rules.md shows no complete rule"
    (tmp_path / f"{block.group(2)}.yaml").write_text(block.group(1))
    assert main(["rules", "validate", str(tmp_path)]) == 0
    capsys.readouterr()
    patch = tmp_path / "p.patch"
    patch.write_text(make_patch("arch/arm64/kvm/hyp/a.S", "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\ttpidr_el2, x3\n \tret\n"))
    code, out, _ = run_cli(capsys, "check", "--no-tree", "--rules", str(tmp_path), "--select", block.group(2), str(patch))
    assert f"[{block.group(2)}]" in out


# --- the same rule reached twice, a new rule's id, writes that fail ------------------------------


def test_the_pack_named_again_is_loaded_once(capsys, tmp_path):
    # in a checkout 'rules new' suggests 'rules test --rules rules ID', and ./rules is the pack
    from reviewbot.resources import data_path
    from tests.conftest import run_cli

    (tmp_path / "pack").symlink_to(data_path("rules"))
    code, out, err = run_cli(capsys, "rules", "test", "--rules", str(tmp_path / "pack"),
                             "--rules", str(data_path("rules")), "arm64.sysreg.write-to-read-only")
    assert code == 0, err
    assert out.splitlines()[-1] == "29 passed, 0 failed"


def test_validate_counts_a_file_once_and_reports_a_duplicate_id(capsys, tmp_path):
    from reviewbot.resources import data_path
    from tests.conftest import run_cli

    pack = data_path("rules")
    files = len(list(pack.rglob("*.yaml"))) - len(list(pack.rglob("*.test.yaml")))
    code, _, err = run_cli(capsys, "rules", "validate", str(pack), str(pack))
    assert code == 0 and f"{files} rule files, 0 problems" in err
    rule = next(pack.rglob("arm64.sysreg.write-to-read-only.yaml"))
    copy = tmp_path / "mine" / rule.name
    copy.parent.mkdir()
    copy.write_text(rule.read_text())
    code, out, err = run_cli(capsys, "rules", "validate", str(tmp_path / "mine"), str(rule))
    assert code == 1
    assert "id: duplicate rule id 'arm64.sysreg.write-to-read-only' (also in " in out
    assert "1 problem" in err


def test_rules_new_refuses_an_id_the_pack_has(capsys, tmp_path):
    from tests.conftest import run_cli

    code, _, err = run_cli(capsys, "rules", "new", "arm64.sysreg.msr-mrs-operand-order", "--dir", str(tmp_path / "mine"))
    assert code == 2
    assert "a rule is called 'arm64.sysreg.msr-mrs-operand-order' already" in err
    assert not (tmp_path / "mine").exists()


def test_rules_new_into_a_place_that_is_no_directory_is_a_usage_error(capsys, tmp_path):
    from tests.conftest import run_cli

    code, _, err = run_cli(capsys, "rules", "new", "arm64.hyp.a", "--dir", "/dev/null")
    assert code == 2 and "--dir /dev/null: /dev/null is not a directory" in err
    (tmp_path / "arm64-hyp").write_text("")
    code, _, err = run_cli(capsys, "rules", "new", "arm64.hyp.a", "--dir", str(tmp_path))
    assert code == 2 and f"{tmp_path / 'arm64-hyp'} is not a directory" in err


def test_precision_write_names_the_path_it_cannot_write(capsys, tmp_path):
    from tests.conftest import run_cli

    target = tmp_path / "nodir" / "p.md"
    code, _, err = run_cli(capsys, "rules", "precision", "--write", str(target))
    assert code == 2 and f"--write {target}: cannot write the table: No such file or directory" in err


# --- rules test: ids a case names, id prefixes ---------------------------------------------------


def test_rules_test_fails_a_case_that_names_no_rule(capsys, tmp_path):
    from tests.conftest import run_cli

    assert run_cli(capsys, "rules", "new", "arm64.hyp.t3", "--dir", str(tmp_path))[0] == 0
    case = tmp_path / "arm64-hyp" / "arm64.hyp.t3.test.S"
    lines = case.read_text().count("\n")
    with case.open("a") as handle:
        handle.write("\t// ruleid: arm64.hyp.t33\n\tmsr\tvbar_el2, x0\n")
    code, out, _ = run_cli(capsys, "rules", "test", "--rules", str(tmp_path), "arm64.hyp.t3")
    assert code == 1
    assert f"{case}:{lines + 1}: no rule is called 'arm64.hyp.t33' (did you mean 'arm64.hyp.t3'?)" in out
    assert out.splitlines()[-1].endswith(", 1 failed")


def test_rules_test_fails_an_expect_header_that_names_no_rule(tmp_path):
    import shutil

    from reviewbot.config import load_config
    from reviewbot.resources import data_path
    from reviewbot.rules.harness import run_rule_tests
    from reviewbot.rules.loader import load_rule_file

    name = "arm64.hyp.missing-kern-hyp-va"
    pack = data_path("rules") / "arm64-hyp"
    shutil.copy(pack / f"{name}.yaml", tmp_path)
    shutil.copytree(pack / f"{name}.test.tree", tmp_path / f"{name}.test.tree")
    mbox = (pack / f"{name}.test.mbox").read_text()
    (tmp_path / f"{name}.test.mbox").write_text(
        mbox.replace("X-Reviewbot-Expect: none", "X-Reviewbot-Expect: none; arm64.hyp.missing-kern-hyp-vaa", 1))
    rule = load_rule_file(tmp_path / f"{name}.yaml")
    [result] = run_rule_tests(rule, load_config(), known_ids={name})
    assert not result.ok and len(result.errors) == 1
    assert result.errors[0].endswith(
        f"X-Reviewbot-Expect: no rule is called '{name}a' (did you mean '{name}'?)")


def test_rules_test_takes_an_id_prefix_as_show_does(capsys):
    from tests.conftest import run_cli

    code, out, _ = run_cli(capsys, "rules", "test", "arm64.sysreg")
    tested = {line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("ok")}
    assert code == 0 and len(tested) > 1 and all(rule_id.startswith("arm64.sysreg.") for rule_id in tested)
    code, _, err = run_cli(capsys, "rules", "test", "arm64.sys")
    assert code == 2 and "no rule is called 'arm64.sys', and no rule id starts with 'arm64.sys.'" in err
