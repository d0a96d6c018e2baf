"""The engine: context (hyp by path, section, guard and use; era), diff
modes, suppression, crash isolation and fingerprints."""

from __future__ import annotations

from reviewbot import records

import pytest

from reviewbot.config import load_config
from reviewbot.engine import review, review_file
from reviewbot.mail.parse import assemble_series, parse_input
from reviewbot.rules.loader import RuleSet, load_rules
from tests.conftest import make_patch

CONFIG = load_config()
RULES = load_rules(CONFIG)


def only(*ids: str) -> RuleSet:
    return RuleSet(tuple(r for r in RULES if r.id in ids))


def findings_of(text: str, rules: RuleSet = RULES, config=CONFIG, tree=None):
    messages, errors = parse_input(text.encode(), source="t.mbox")
    assert not errors
    series, _ = assemble_series(messages)
    return [f for s in series for f in review(s, rules, config, tree).findings]


LITERAL = "@@ -1,2 +1,4 @@\n report:\n+\tldr\tx1, =kvm_host_cpu_state\n+\tldr\tx2, [x1, #8]\n \tret\n"


@pytest.mark.parametrize("path, hyp", [
    ("arch/arm64/kvm/hyp/entry.S", True),
    ("arch/arm64/kvm/hyp/nvhe/host.S", True),
    ("arch/arm64/kvm/hyp/vhe/switch.S", False),  # VHE: kern_hyp_va is a no-op, rules say nvhe
    ("arch/arm64/kernel/head.S", False),
])
def test_hyp_by_path(path, hyp):
    got = findings_of(make_patch(path, LITERAL), only("arm64.hyp.missing-kern-hyp-va"))
    assert bool(got) is hyp


def test_hyp_by_section_and_guard():
    section = "@@ -1,2 +1,5 @@\n foo:\n+\t.pushsection .hyp.text, \"ax\"\n+\tldr\tx1, =kvm_host_data\n+\tldr\tx2, [x1]\n \tret\n"
    guard = ("@@ -1,2 +1,6 @@\n foo:\n+#ifdef __KVM_NVHE_HYPERVISOR__\n+\tldr\tx1, =kvm_host_data\n"
             "+\tldr\tx2, [x1]\n+#endif\n \tret\n")
    rules = only("arm64.hyp.missing-kern-hyp-va")
    assert findings_of(make_patch("arch/arm64/kernel/x.S", section), rules)
    assert findings_of(make_patch("arch/arm64/kernel/x.S", guard), rules)


MACRO_HUNK = ("@@ -1,2 +1,8 @@\n #include <asm/x.h>\n+#ifdef __ASSEMBLY__\n+.macro get_ctxt reg\n"
              "+\tldr\t\\reg, =kvm_host_cpu_state\n+\tldr\t\\reg, [\\reg]\n+.endm\n+#endif\n #endif\n")
USE_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tget_ctxt\tx0\n \tret\n"


def test_macro_in_a_header_is_hyp_when_hyp_code_of_the_series_uses_it():
    header = make_patch("arch/arm64/include/asm/kvm_asm.h", MACRO_HUNK, subject="[PATCH 1/2] a", msgid="a@x")
    user = make_patch("arch/arm64/kvm/hyp/entry.S", USE_HUNK, subject="[PATCH 2/2] b", msgid="b@x")
    rules = only("arm64.hyp.missing-kern-hyp-va")
    assert [f.path for f in findings_of(header + "\n" + user, rules)] == ["arch/arm64/include/asm/kvm_asm.h"]
    assert findings_of(header, rules) == []  # alone, nothing says the macro runs at EL2


def test_era_from_mail_date_config_and_unknown():
    rules = only("arm64.hyp.kernel-va-literal")
    path = "arch/arm64/kvm/hyp/entry.S"
    assert findings_of(make_patch(path, LITERAL, date="Wed, 29 Nov 2017 18:20:52 +0000"), rules)
    assert not findings_of(make_patch(path, LITERAL, date="Mon, 1 Jan 2024 10:00:00 +0000"), rules)
    newer = records.replace(CONFIG, context=records.replace(CONFIG.context, kernel="6.1"))
    assert not findings_of(make_patch(path, LITERAL), rules, newer)
    # no date, no tree, no configuration: a version-scoped rule says nothing
    diff = f"--- a/{path}\n+++ b/{path}\n{LITERAL}"
    assert not findings_of(diff, rules)


def test_diff_modes_added_versus_context():
    hunk = "@@ -1,4 +1,5 @@\n foo:\n \tmsr\tx0, tpidr_el2\n+\tisb\n \tret\n \tnop\n"
    assert findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk)) == []
    rule = records.replace(RULES.get("arm64.sysreg.msr-mrs-operand-order"),
                               diff=records.replace(RULES.get("arm64.sysreg.msr-mrs-operand-order").diff,
                                                        mode="context", context=1))
    got = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk), RuleSet((rule,)))
    assert [f.line for f in got] == [2]


def test_reviewbot_ignore_below_the_dashes_and_per_path_config():
    hunk = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
    notes = "reviewbot-ignore: arm64.sysreg.msr-mrs-operand-order the assembler rejects it anyway\n"
    got = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk, notes=notes))
    assert len(got) == 1 and got[0].suppressed.startswith("reviewbot-ignore in the patch: the assembler")
    config = load_config(overrides=['rules.per-path-ignores={"arch/arm64/kvm/**": [arm64.sysreg.msr-mrs-operand-order]}'])
    got = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk), RULES, config)
    assert got[0].suppressed == "rules.per-path-ignores: arch/arm64/kvm/**"


def test_a_crashing_rule_is_a_problem_not_a_crash():
    class Boom:
        def run(self, unit):
            raise RuntimeError("kaboom")

    rule = records.replace(RULES.get("arm64.sysreg.msr-mrs-operand-order"), matcher=Boom())
    messages, _ = parse_input(make_patch("arch/arm64/kvm/hyp/a.S", LITERAL).encode(), source="p")
    series, _ = assemble_series(messages)
    result = review(series[0], RuleSet((rule,) + tuple(r for r in RULES if r.id != rule.id)), CONFIG)
    assert any("kaboom" in p for p in result.patches[0].problems)
    assert result.findings  # the other rules still ran


def test_fingerprints_survive_a_new_revision_that_moves_the_line():
    hunk_v1 = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
    hunk_v2 = "@@ -1,2 +1,4 @@\n foo:\n+\tnop\n+\tmsr\tx0, tpidr_el2\n \tret\n"
    v1 = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk_v1))
    v2 = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", hunk_v2, subject="[PATCH v2] arm64: example"))
    assert v1[0].line != v2[0].line and v1[0].fingerprint == v2[0].fingerprint


def test_whole_file_review_reports_every_line():
    text = "foo:\n\tmsr\tx0, tpidr_el2\n\tret\n"
    got = review_file("arch/arm64/kvm/hyp/a.S", text, RULES, CONFIG).findings
    assert [(f.rule_id, f.line) for f in got] == [("arm64.sysreg.msr-mrs-operand-order", 2)]


def test_dataflow_finding_carries_its_trace():
    got = findings_of(make_patch("arch/arm64/kvm/hyp/entry.S", LITERAL), only("arm64.hyp.missing-kern-hyp-va"))
    assert [(t.role, t.line) for t in got[0].trace] == [("source", 2), ("sink", 3)]
    assert "line 2" in got[0].message


def test_commit_message_regex_rule(tmp_path):
    from reviewbot.rules.loader import load_rule_file
    path = tmp_path / "commit.no-fixme.yaml"
    path.write_text("id: commit.no-fixme\ntitle: no FIXME in a commit message\nseverity: warning\n"
                    "languages: [commit-msg]\nmessage: \"the commit message still says $WORD\"\n"
                    "regex: {pattern: '(?P<WORD>FIXME|XXX)', not-pattern: '^Link:'}\n")
    rule = load_rule_file(path)
    body = "Does a thing.\n\nFIXME: explain why.\nLink: https://example.org/XXX\n\nSigned-off-by: A <a@b>\n"
    got = findings_of(make_patch("arch/arm64/kvm/hyp/a.S", LITERAL, body=body), RuleSet((rule,)))
    assert [(f.path, f.message) for f in got] == [(None, "the commit message still says FIXME")]
    assert got[0].mail_line is not None
