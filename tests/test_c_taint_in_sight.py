"""The C taint rule looks into the functions a host pointer is handed to
when their definitions are in the patch, in any of its C files: a wrapper
whose shared helper converts the pointer itself is not reported, one whose
helper uses it first is (the nVHE/VHE split of 2020 moved the conversions
into such helpers, in a header of the same patch)."""

from __future__ import annotations

from reviewbot import engine
from reviewbot.config import load_config
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.rules.loader import load_rules

WRAPPERS = """\
+void __hyp_text __kvm_tlb_flush_vmid(struct kvm *kvm)
+{
+	__tlb_flush_vmid(kvm);
+}
+
+void __hyp_text __kvm_tlb_flush_vmid_late(struct kvm *kvm)
+{
+	__tlb_flush_vmid_late(kvm);
+}
"""

HELPERS = """\
+static inline void __hyp_text __tlb_flush_vmid(struct kvm *kvm)
+{
+	kvm = kern_hyp_va(kvm);
+	__load_guest_stage2(kvm);
+}
+
+static inline void __hyp_text __tlb_flush_vmid_late(struct kvm *kvm)
+{
+	__load_guest_stage2(kvm);
+}
"""


def _file(path: str, added: str) -> str:
    count = added.count("\n")
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{count} @@\n{added}")


def _review(*files: tuple[str, str]):
    mbox = ("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            "Message-Id: <sight.1@example.org>\nFrom: Ada Author <ada@example.org>\n"
            "Date: Thu, 30 Apr 2020 10:00:00 +0000\nSubject: [PATCH] KVM: arm64: split tlb\n\n"
            "Split.\n\nSigned-off-by: Ada Author <ada@example.org>\n---\n"
            + "".join(_file(path, added) for path, added in files) + "-- \n2.26.2\n")
    messages, _ = parse_input(mbox.encode(), source="sight.mbox")
    (series,), _ = assemble_series(messages)
    config = load_config(overrides=["context.kernel=5.7"])
    (review,) = engine.review(series, load_rules(config), config).patches
    return [(f.rule_id, f.path, f.snippet.strip()) for f in review.findings
            if f.rule_id == "c.hyp.host-pointer-param"]


def test_a_helper_in_another_file_of_the_patch_that_converts_is_looked_into() -> None:
    found = _review(("arch/arm64/kvm/hyp/nvhe/tlb.c", WRAPPERS), ("arch/arm64/kvm/hyp/tlb.h", HELPERS))
    assert found == [("c.hyp.host-pointer-param", "arch/arm64/kvm/hyp/nvhe/tlb.c", "__tlb_flush_vmid_late(kvm);")]


def test_without_the_helpers_in_sight_both_wrappers_are_reported() -> None:
    found = _review(("arch/arm64/kvm/hyp/nvhe/tlb.c", WRAPPERS))
    assert [snippet for _, _, snippet in found] == ["__tlb_flush_vmid(kvm);", "__tlb_flush_vmid_late(kvm);"]


def test_a_follower_with_a_sanitizer_looks_into_callees_and_names_the_one_that_uses_it() -> None:
    from reviewbot.match.cfollow import FollowSpec, follow

    spec = FollowSpec("NAME", r"kern_hyp_va\(\s*$NAME\s*\)", r"\b$NAME\s*->", "kern_hyp_va")
    body = "\tinit(NULL, kvm);\n\tcheck(kvm);\n}"
    answers = {("init", 1): True, ("check", 0): None}
    outcome = follow(spec, "kvm", body, True, converts=lambda callee, position: answers[(callee, position)])
    assert not outcome.cleared and "check()" in (outcome.unsure or "") and "init()" not in (outcome.unsure or "")
    answers[("check", 0)] = True
    assert follow(spec, "kvm", body, True, converts=lambda c, p: answers[(c, p)]).cleared
    assert not follow(spec, "kvm", body, False, converts=lambda c, p: True).cleared  # the rest is not shown
    answers[("check", 0)] = False
    used = follow(spec, "kvm", body, True, converts=lambda c, p: answers[(c, p)])
    assert not used.cleared and "uses it before converting it" in (used.unsure or "")


def test_a_sanitizer_must_be_a_c_name() -> None:
    import pytest

    from reviewbot.match.regex import compile_regex

    spec = {"pattern": "(?P<NAME>x)", "follow-in-function": {"name": "NAME", "converts": "a", "uses": "b",
                                                              "sanitizer": "kern_hyp_va("}}
    with pytest.raises(ValueError, match="sanitizer"):
        compile_regex(spec, "rule.yaml")
