"""Per-rule precision from the labels file (issue 15): counting, the
published table kept in step with the labels, ``rules show`` and
``rules precision``, bad labels files; and the C name follower never
crashing on what a hunk may hold."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from reviewbot.match.cfollow import FollowSpec, body_after, follow
from reviewbot.rules.precision import markdown, parse_labels, precision_by_rule
from tests.conftest import ROOT, run_cli

LABELS = """
"aaaa": {rule: r.one, verdict: right, severity: error, occurrences: [{line: 1}, {line: 2}]}
"bbbb": {rule: r.one, verdict: wrong, severity: error}
"cccc": {rule: r.one, verdict: wrong, severity: warning, gone: "fixed in abc"}
"dddd": {rule: r.two, verdict: wrong, severity: info, occurrences: [{line: 3}]}
"""


def test_findings_are_counted_once_per_mail_and_gone_ones_apart():
    rows = precision_by_rule(parse_labels(LABELS, "l.yaml"), ["r.one", "r.three"])
    one = rows["r.one"]
    assert (one.findings, one.right, one.wrong, one.gone, one.severities) == (3, 2, 1, 1, ("error",))
    assert one.line() == "Precision on real mail: 2 right of 3 judged; 1 judged earlier are no longer made"
    assert rows["r.three"].line() == "Precision on real mail: 0 right of 0 judged"
    assert rows["r.two"].findings == 1 and rows["r.two"].right == 0


def test_the_table_names_rules_not_in_the_pack_and_totals():
    text = markdown(precision_by_rule(parse_labels(LABELS, "l.yaml"), ["r.one"]), {"r.one": "error"}, "l.yaml")
    assert "| r.one | error | 3 | 2 | 1 | 67% | error | 1 |" in text
    assert "| r.two | (not in the pack) | 1 | 0 | 1 | 0% | info | 0 |" in text
    assert "All rules: 2 right of 4 judged findings now made (50%); 1 judged findings gone." in text


@pytest.mark.parametrize("text, problem", [
    ("[1, 2]", "expected a mapping of fingerprint -> judgement"),
    ('"x": {verdict: right}', "x: expected a mapping with 'rule'"),
    ('"x": {rule: r, verdict: maybe}', "x: verdict must be right or wrong, not 'maybe'"),
    ("x: [1", "not valid YAML"),
])
def test_bad_labels_name_the_file_and_the_entry(text, problem):
    with pytest.raises(ValueError, match="^l.yaml: ") as info:
        parse_labels(text, "l.yaml")
    assert problem in str(info.value)


def test_docs_precision_md_is_the_table_of_the_labels(capsys):
    # regenerate with: reviewbot rules precision --write docs/precision.md
    code, out, _ = run_cli(capsys, "rules", "precision")
    assert code == 0
    assert out == (ROOT / "docs" / "precision.md").read_text(encoding="utf-8")


def test_rules_show_prints_the_precision_line(capsys):
    code, out, _ = run_cli(capsys, "rules", "show", "arm64.hyp.missing-kern-hyp-va")
    assert code == 0
    assert ("Precision on real mail: 0 right of 0 judged; 2 judged earlier are no longer made "
            "(labels: bench/labels.yaml)") in out


def test_rules_precision_with_a_bad_labels_file_is_exit_2_naming_it(capsys, tmp_path):
    bad = tmp_path / "labels.yaml"
    bad.write_text('"x": {rule: r, verdict: perhaps}\n')
    code, out, err = run_cli(capsys, "rules", "precision", "--labels", str(bad))
    assert (code, out) == (2, "")
    assert str(bad) in err and "verdict must be right or wrong" in err
    code, _, err = run_cli(capsys, "rules", "precision", "--labels", str(tmp_path / "none.yaml"))
    assert code == 2 and "cannot read the labels file" in err


def test_rules_precision_writes_the_table(capsys, tmp_path):
    out_file = tmp_path / "precision.md"
    code, out, err = run_cli(capsys, "rules", "precision", "--write", str(out_file))
    assert (code, out) == (0, "") and "wrote" in err
    assert out_file.read_text(encoding="utf-8") == (ROOT / "docs" / "precision.md").read_text(encoding="utf-8")


SPEC = FollowSpec("NAME", r"kern_hyp_va\s*\(\s*$NAME\s*\)", r"\b$NAME\s*->")
C_ALPHABET = st.sampled_from(list("{}();=*->[], \n\tabvxk_") + ["vcpu", "kern_hyp_va(", "foo(", "return "])


@settings(max_examples=300, deadline=None)
@given(st.lists(C_ALPHABET, max_size=60).map("".join), st.integers(0, 5), st.integers(0, 10))
def test_following_a_name_never_crashes_on_any_text(text, line, column):
    lines = tuple(text.split("\n"))
    body, complete = body_after(lines, min(line + 1, len(lines)), column)
    outcome = follow(SPEC, "vcpu", body, complete)
    assert outcome.cleared or outcome.unsure is None or "vcpu" in outcome.unsure


@given(st.sampled_from(["vcpu = kern_hyp_va(vcpu);", "foo(kern_hyp_va(vcpu));"]),
       st.lists(st.sampled_from(["x = 1;", "if (a) { b(); }", "vcpu->arch.x = 0;"]), max_size=4))
def test_a_conversion_before_any_use_always_clears(first, rest):
    body = "\n".join([first, *rest]) + "\n}"
    assert follow(SPEC, "vcpu", *body_after(tuple(body.split("\n")), 1, 0)).cleared
