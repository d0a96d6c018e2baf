"""The unidiff adapter: line numbers on both sides and in the mail, and
diffs whose hunk counts lie."""

from __future__ import annotations

import pytest

from reviewbot.mail.diff import parse_patch
from reviewbot.errors import DiffParseError

DIFF = """\
diff --git a/arch/arm64/kvm/hyp/entry.S b/arch/arm64/kvm/hyp/entry.S
index 1234567..89abcde 100644
--- a/arch/arm64/kvm/hyp/entry.S
+++ b/arch/arm64/kvm/hyp/entry.S
@@ -10,4 +10,5 @@ ENTRY(__guest_exit)
 \tadd\tx1, x1, #VCPU_CONTEXT
-\tldr\tx2, [sp], #16
+\tget_host_ctxt\tx2, x3
+\tisb
 \trestore_callee_saved_regs x2
 \tret
diff --git a/new.S b/new.S
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/new.S
@@ -0,0 +1,2 @@
+a:
+\tret
diff --git a/blob.bin b/blob.bin
index 1234567..89abcde 100644
Binary files a/blob.bin and b/blob.bin differ
-- 
2.39.5
"""


def test_line_numbers_on_both_sides_and_in_the_mail():
    changes = parse_patch(DIFF, source="x", first_line=100)
    entry, new, binary = changes
    assert (entry.old_path, entry.new_path, entry.old_blob, entry.new_blob) == (
        "arch/arm64/kvm/hyp/entry.S", "arch/arm64/kvm/hyp/entry.S", "1234567", "89abcde")
    lines = entry.hunks[0].lines
    assert [(l.kind, l.old_line, l.new_line) for l in lines] == [
        (" ", 10, 10), ("-", 11, None), ("+", None, 11), ("+", None, 12), (" ", 12, 13), (" ", 13, 14)]
    text = DIFF.split("\n")
    for line in lines:
        assert text[line.mail_line - 100][1:] == line.text
    assert entry.hunks[0].section == "ENTRY(__guest_exit)"
    assert (new.old_path, new.new_path, new.path) == (None, "new.S", "new.S")
    assert binary.is_binary and not binary.hunks


@pytest.mark.parametrize("hunk, problem", [
    ("@@ -1,5 +1,6 @@\n foo\n+bar\n baz\n", "shorter than its header says"),
    ("@@ -1,1 +1,1 @@\n foo\n+bar\n baz\n", "longer than its header says"),
    ("@@ -1,2 +1,2 @@\n foo\n+bar\n", "shorter than its header says"),
])
def test_hunk_counts_that_lie_are_errors_naming_the_hunk(hunk, problem):
    with pytest.raises(DiffParseError) as info:
        parse_patch(f"--- a/a.S\n+++ b/a.S\n{hunk}", source="lying.patch")
    assert problem in str(info.value)
    assert str(info.value).startswith("lying.patch: hunk '-")


def test_no_newline_marker_and_empty_context_lines():
    diff = "--- a/a.S\n+++ b/a.S\n@@ -1,3 +1,3 @@\n a\n\n-b\n\\ No newline at end of file\n+c\n"
    lines = parse_patch(diff)[0].hunks[0].lines
    assert [l.kind for l in lines] == [" ", " ", "-", "+"]


def test_garbage_is_an_error():
    with pytest.raises(DiffParseError, match="no diff found"):
        parse_patch("hello\nworld\n", source="g")
