"""The engine: context (hyp by path, section, guard and use; era), diff
modes, suppression, crash isolation and fingerprints."""

from __future__ import annotations

from reviewbot import records

import pytest

from reviewbot.config import load_config
from reviewbot.engine import review, review_file
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
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


class AskedTree:
    """A tree that knows no file and says hyp code uses every macro it is asked of."""

    def __init__(self) -> None:
        self.asked: list[frozenset[str]] = []

    def old_file(self, change):
        return None

    def kernel_version(self):
        return None

    def hyp_macro_uses(self, names):
        self.asked.append(names)
        return names


def test_the_tree_is_searched_for_macro_uses_only_when_that_can_make_code_hyp():
    header = make_patch("arch/arm64/include/asm/kvm_asm.h", MACRO_HUNK, subject="a", msgid="a@x")
    rules = only("arm64.hyp.missing-kern-hyp-va")
    tree = AskedTree()
    assert [f.path for f in findings_of(header, rules, tree=tree)] == ["arch/arm64/include/asm/kvm_asm.h"]
    assert tree.asked == [frozenset({"get_ctxt"})]
    # defined in a hyp file, the body is hyp whoever uses it: nothing to ask
    in_hyp = make_patch("arch/arm64/kvm/hyp/entry.S", MACRO_HUNK, subject="b", msgid="b@x")
    tree = AskedTree()
    assert [f.path for f in findings_of(in_hyp, rules, tree=tree)] == ["arch/arm64/kvm/hyp/entry.S"]
    assert tree.asked == []


def test_era_from_mail_date_config_and_unknown():
    # issue 15: kernel-va-literal no longer matches ldr =sym; missing-kern-hyp-va
    # follows it to the use and carries the same <5.12 range on that source
    rules = only("arm64.hyp.missing-kern-hyp-va")
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


# --- the era of a series (issue 15) -------------------------------------------------------

HYP_INIT = "arch/arm64/kvm/hyp/nvhe/hyp-init.S"
#: patch 8/8 of "Fix constant-pool users in hyp" (real mail, Dec 2020): once
#: hyp relocations exist, the literal is a hyp VA and the conversion goes.
DROP_KIMG_HYP_VA = ("@@ -196,5 +196,4 @@ SYM_CODE_START_LOCAL(__kvm_hyp_init_cpu)\n \t/* Leave idmap. */\n"
                    " \tmov\tx0, x29\n \tldr\tx1, =kvm_host_psci_cpu_entry\n-\tkimg_hyp_va x1, x2\n \tbr\tx1\n")
GEN_HYPREL = "@@ -0,0 +1,2 @@\n+// SPDX-License-Identifier: GPL-2.0-only\n+int main(void) { return 0; }\n"
DEC_2020 = "Wed, 09 Dec 2020 13:17:44 +0000"


def _series_patch(n: int, path: str, hunk: str, title: str, date: str = DEC_2020) -> str:
    return make_patch(path, hunk, subject=f"[PATCH {n}/8] KVM: arm64: {title}", msgid=f"s{n}@example.org",
                      date=date, extra_headers="" if n == 1 else "In-Reply-To: <s1@example.org>\n")


def test_a_series_that_brings_in_hyp_relocations_is_judged_by_the_kernel_it_makes():
    rules = only("arm64.hyp.missing-kern-hyp-va")
    alone = make_patch(HYP_INIT, DROP_KIMG_HYP_VA, date=DEC_2020)
    found = findings_of(alone, rules)
    assert [(f.rule_id, f.line, f.severity.label) for f in found] == [("arm64.hyp.missing-kern-hyp-va", 199, "error")]
    series = "\n".join([
        _series_patch(1, "arch/arm64/kvm/arm.c", "@@ -1,1 +1,2 @@\n int a;\n+int b;\n", "Prepare"),
        _series_patch(6, "arch/arm64/kvm/hyp/nvhe/gen-hyprel.c", GEN_HYPREL, "Apply hyp relocations at runtime"),
        _series_patch(8, HYP_INIT, DROP_KIMG_HYP_VA, "Fix constant-pool users in hyp"),
    ])
    assert findings_of(series, rules) == []


def test_patches_before_the_one_that_brings_in_the_capability_keep_the_older_era():
    messages, _ = parse_input("\n".join([
        _series_patch(1, HYP_INIT, DROP_KIMG_HYP_VA, "Fix constant-pool users first"),
        _series_patch(2, "arch/arm64/kvm/va_layout.c", "@@ -1,1 +1,2 @@\n int a;\n+void kvm_apply_hyp_relocations(void);\n",
                      "Apply hyp relocations at runtime"),
    ]).encode(), source="t.mbox")
    series, _ = assemble_series(messages)
    assert len(series) == 1
    reviewed = review(series[0], only("arm64.hyp.missing-kern-hyp-va"), CONFIG)
    assert [len(p.findings) for p in reviewed.patches] == [1, 0]


def test_the_capability_table_is_configuration():
    # with no capabilities configured, the series is judged by its mail date again
    series = "\n".join([
        _series_patch(6, "arch/arm64/kvm/hyp/nvhe/gen-hyprel.c", GEN_HYPREL, "Apply hyp relocations at runtime"),
        _series_patch(8, HYP_INIT, DROP_KIMG_HYP_VA, "Fix constant-pool users in hyp"),
    ])
    bare = load_config(overrides=["context.capabilities=[]"])
    assert len(findings_of(series, only("arm64.hyp.missing-kern-hyp-va"), bare)) == 1


def test_an_era_guessed_near_a_rule_bound_says_less_and_says_what_it_assumed():
    rules = only("arm64.hyp.missing-kern-hyp-va")
    # mailed in January 2021: kernel 5.11 assumed, one release before the <5.12 bound
    near = findings_of(make_patch(HYP_INIT, DROP_KIMG_HYP_VA, date="Tue, 05 Jan 2021 18:05:39 +0000"), rules)
    assert [f.severity.label for f in near] == ["warning"]
    assert "kernel 5.11 assumed from the mail date" in near[0].message
    assert "-c context.kernel=" in near[0].message
    # the same kernel given, not guessed: the rule speaks at its own severity
    given = records.replace(CONFIG, context=records.replace(CONFIG.context, kernel="5.11"))
    stated = findings_of(make_patch(HYP_INIT, DROP_KIMG_HYP_VA, date="Tue, 05 Jan 2021 18:05:39 +0000"), rules, given)
    assert [f.severity.label for f in stated] == ["error"] and "assumed" not in stated[0].message
    # far from the bound (2017, kernel 4.15): no doubt
    far = findings_of(make_patch(HYP_INIT, DROP_KIMG_HYP_VA), rules)
    assert [f.severity.label for f in far] == ["error"]


def test_the_kernel_and_capabilities_are_validated():
    from reviewbot.errors import ConfigError
    with pytest.raises(ConfigError, match=r"context.kernel: expected a kernel version written as a string, e.g. '5.10' or 'v6.1', got 'five'"):
        load_config(overrides=["context.kernel=five"])
    with pytest.raises(ConfigError, match=r"context.capabilities\[0\].added: expected a regular expression"):
        load_config(overrides=['context.capabilities=[{what: x, kernel: "5.12", path: a.c, added: "("}]'])
    with pytest.raises(ConfigError, match=r"unknown key 'context.capabilities\[0\].since' \(valid keys: added, kernel, path, what\)"):
        load_config(overrides=['context.capabilities=[{what: x, kernel: "5.12", path: a.c, since: 1}]'])


def test_a_host_pointer_only_handed_to_a_callee_is_info_naming_the_callee():
    # real mail (pkvm, 2022): __pkvm_init_shadow() converts it in another file
    hunk = ("@@ -10,2 +10,8 @@ static void handle___pkvm_vcpu_init_traps(struct kvm_cpu_context *host_ctxt)\n"
            " }\n \n+static void handle___pkvm_init_shadow(struct kvm_cpu_context *host_ctxt)\n+{\n"
            "+\tDECLARE_REG(struct kvm *, host_kvm, host_ctxt, 1);\n+\n"
            "+\tcpu_reg(host_ctxt, 1) = __pkvm_init_shadow(host_kvm);\n+}\n")
    found = findings_of(make_patch("arch/arm64/kvm/hyp/nvhe/hyp-main.c", hunk, date="Thu, 19 May 2022 14:41:00 +0100"),
                        only("c.hyp.host-pointer-without-kern-hyp-va"))
    assert [(f.line, f.severity.label) for f in found] == [(14, "info")]
    assert "host_kvm is only handed to __pkvm_init_shadow()" in found[0].message
