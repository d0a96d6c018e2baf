"""The C side of the ``comment:`` matcher (reviewbot/match/c_comments.py):
the comment scanner, the rule compiler's checks, and a comment outside the
hunks that only tree-aware mode sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.config import load_config
from reviewbot.engine import review
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.match.c_comments import scan_comments
from reviewbot.match.comments import compile_comment
from reviewbot.rules.harness import DirectoryTree
from reviewbot.rules.loader import load_rule_file

RULES = Path(__file__).resolve().parent.parent / "rules" / "c-comment"


def test_scan_finds_block_line_and_trailing_comments():
    lines = [
        "\t/* one line */",
        "\tx = 1;\t/* trailing */",
        "\t/*",
        "\t * two",
        "\t */",
        '\tpr_info("/* not a comment */");',
        "\ty = 2; // also trailing",
        "\t// alone",
    ]
    found = [(c.first, c.last, c.alone, " ".join(c.text.split())) for c in scan_comments(lines)]
    assert found == [
        (0, 0, True, "one line"),
        (1, 1, False, "trailing"),
        (2, 4, True, "* two"),
        (6, 6, False, "also trailing"),
        (7, 7, True, "alone"),
    ]


def test_c_kinds_do_not_mix_with_the_assembly_keys():
    with pytest.raises(ValueError, match="does not go with the C kinds"):
        compile_comment({"mentions": ["left-behind", "call"]}, "x.yaml")
    with pytest.raises(ValueError, match="does not go with the C kinds"):
        compile_comment({"mentions": ["names-removed"], "min-weight": 2}, "x.yaml")


_PATCH = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test Author <t@example.org>
Date: Mon, 4 Jul 2022 10:00:00 +0000
Message-Id: <tree-names-removed@example.org>
Subject: [PATCH] KVM: arm64: rename the VMID flush

Written for reviewbot's tests.
---
diff --git a/arch/arm64/kvm/guest-tlb.c b/arch/arm64/kvm/guest-tlb.c
index 1111111..2222222 100644
--- a/arch/arm64/kvm/guest-tlb.c
+++ b/arch/arm64/kvm/guest-tlb.c
@@ -10,9 +10,9 @@
 	dsb(nsh);
 }
 
-static void flush_vmid_tlbs(struct kvm *kvm)
+static void flush_guest_tlbs(struct kvm *kvm)
 {
 	__tlbi(vmalls12e1is);
 	dsb(ish);
 }
 
-- 
2.39.5
"""

_OLD_FILE = "\n".join([
    "/*",
    " * Callers hold the mmu lock; flush_vmid_tlbs() is the broadcast",
    " * variant of flush_local_tlbs().",
    " */",
    "",
    "static void flush_local_tlbs(struct kvm *kvm)",
    "{",
    "\t__tlbi(vmalle1);",
    "\tdsb(ish);",
    "\tdsb(nsh);",
    "}",
    "",
    "static void flush_vmid_tlbs(struct kvm *kvm)",
    "{",
    "\t__tlbi(vmalls12e1is);",
    "\tdsb(ish);",
    "}",
    "",
]) + "\n"


def _findings(tree):
    rule = load_rule_file(RULES / "c.comment.names-removed.yaml")
    messages, _ = parse_input(_PATCH.encode(), source="test")
    series, _ = assemble_series(messages)
    config = load_config()
    return [f for s in series for p in review(s, [rule], config, tree).patches for f in p.findings]


def test_names_removed_sees_a_comment_outside_the_hunks_with_the_tree(tmp_path):
    path = tmp_path / "arch/arm64/kvm/guest-tlb.c"
    path.parent.mkdir(parents=True)
    path.write_text(_OLD_FILE)
    assert _findings(None) == []  # the hunk alone does not show the comment
    found = _findings(DirectoryTree(tmp_path))
    assert [(f.rule_id, f.line) for f in found] == [("c.comment.names-removed", 1)]
    assert "flush_vmid_tlbs" in found[0].message
