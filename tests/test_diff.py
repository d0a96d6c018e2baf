"""The unidiff adapter: line numbers on both sides and in the mail, and
diffs whose hunk counts lie."""

from __future__ import annotations

import random

import pytest
import unidiff

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


def test_what_follows_a_diff_git_line_must_be_git_header_lines_or_hunks():
    junk = "diff --git a/a.S b/a.S\nthis is junk\n\tmsr\tx0, tpidr_el2\n"
    with pytest.raises(DiffParseError) as info:
        parse_patch(junk, source="mangled.patch", first_line=20)
    assert str(info.value).startswith("mangled.patch: line 21: 'this is junk' follows 'diff --git a/a.S b/a.S' "
                                      "(line 20)")


@pytest.mark.parametrize("header", [
    "similarity index 100%\nrename from a.S\nrename to b.S\n",
    "old mode 100644\nnew mode 100755\n",
    "deleted file mode 100644\nindex 1234567..0000000\n",
    "index 1234567..89abcde\nGIT binary patch\nliteral 3\nKcmZ?b0000\n\nliteral 0\nHcmV?d00001\n\n",
    "dissimilarity index 90%\ncopy from a.S\ncopy to b.S\n",
])
def test_hunkless_changes_git_writes_are_read(header):
    changes = parse_patch(f"diff --git a/a.S b/b.S\n{header}diff --git a/c.S b/c.S\n--- a/c.S\n+++ b/c.S\n"
                          "@@ -1 +1 @@\n-a\n+b\n")
    assert len(changes) == 2 and not changes[0].hunks and changes[1].hunks


def test_a_diff_git_line_with_nothing_after_it_is_an_error():
    with pytest.raises(DiffParseError, match="has neither git's header lines nor hunks after it"):
        parse_patch("diff --git a/a.S b/a.S\n", source="cut.patch")


@pytest.mark.parametrize("text", [
    # a rename last, then the signature and a list's footer (more than the three lines stripped)
    ("diff --git a/a.S b/b.S\nsimilarity index 100%\nrename from a.S\nrename to b.S\n-- \n2.30.0\n\n"
     "_______________________________________________\nkvmarm mailing list\n"),
    # a mailer wrapped the diff --git line; the ---/+++ lines and the hunk are whole
    "diff --git a/a.S \nb/a.S\nindex 1234567..89abcde 100644\n--- a/a.S\n+++ b/a.S\n@@ -1 +1 @@\n-a\n+b\n",
    # prose after a mode change, past an empty line
    "diff --git a/a.S b/a.S\nold mode 100644\nnew mode 100755\n\nThanks,\nA\n",
])
def test_what_real_mail_puts_around_a_hunkless_change_is_read(text):
    assert parse_patch(text, source="real.patch")


def _random_diff(rng: random.Random) -> str:
    """A well-formed diff of a few files, with the lines real mail has:
    empty context lines, '\\ No newline' markers, '-- ' and '@@' as text."""
    words = ["", "a", "\tmsr\tx0, tpidr_el2", "@@ -1 +1 @@", "-- ", "+x", " \t", "diff", "\\t", "é"]
    out = []
    for number in range(rng.randrange(1, 4)):
        path = f"f{number}.S"
        out += [f"diff --git a/{path} b/{path}", f"index 1234567..89abcde 100644", f"--- a/{path}", f"+++ b/{path}"]
        old = new = 1
        for _ in range(rng.randrange(1, 4)):
            old += rng.randrange(0, 9)
            new += rng.randrange(0, 9)
            body = []
            for _ in range(rng.randrange(1, 9)):
                kind = rng.choice("+- ")
                text = rng.choice(words)
                body.append("" if kind == " " and not text and rng.random() < 0.5 else kind + text)
                if rng.random() < 0.1:
                    body.append("\\ No newline at end of file")
            old_count = sum(1 for b in body if b[:1] in ("-", " ", ""))
            new_count = sum(1 for b in body if b[:1] in ("+", " ", ""))
            out.append(f"@@ -{old},{old_count} +{new},{new_count} @@" + rng.choice(["", " f(void)", " x:"]))
            out += body
            old += old_count
            new += new_count
    return "\n".join(out) + "\n"


def test_hunk_lines_are_those_of_unidiffs_full_parse():
    """unidiff reads the structure in its metadata mode and the lines are
    made in the walk that checks the counts: they must be what unidiff's
    full mode would make."""
    rng = random.Random(13)
    for _ in range(400):
        text = _random_diff(rng)
        changes = parse_patch(text, first_line=7)
        full = unidiff.PatchSet(text)
        assert [c.path for c in changes] == [f.path.removeprefix("b/") for f in full]
        for change, patched in zip(changes, full):
            assert len(change.hunks) == len(patched)
            for hunk, reference in zip(change.hunks, patched):
                assert (hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count, hunk.section) == (
                    reference.source_start, reference.source_length, reference.target_start,
                    reference.target_length, reference.section_header.strip())
                assert [(l.kind, l.text, l.old_line, l.new_line, l.mail_line) for l in hunk.lines] == [
                    (l.line_type, l.value.rstrip("\n"), l.source_line_no, l.target_line_no, 6 + l.diff_line_no)
                    for l in reference if l.line_type in "+- "]


QUOTED = """\
diff --git "a/arch/arm64/kvm/hyp/f\\"\\303\\266\\\\t.S" "b/arch/arm64/kvm/hyp/f\\"\\303\\266\\\\t.S"
index 7898192..6178079 100644
--- "a/arch/arm64/kvm/hyp/f\\"\\303\\266\\\\t.S"
+++ "b/arch/arm64/kvm/hyp/f\\"\\303\\266\\\\t.S"
@@ -1 +1 @@
-a
+b
diff --git "a/old\\tname.S" "b/new\\tname.S"
similarity index 100%
rename from "old\\tname.S"
rename to "new\\tname.S"
"""


def test_paths_git_quotes_are_read_unquoted():
    """git writes a path with a quote, a backslash, a control or a non-ASCII
    byte in double quotes with C escapes (core.quotePath); read as given, a
    '.S' file would end in '.S"' and no rule would see it."""
    changed, renamed = parse_patch(QUOTED)
    assert changed.old_path == changed.new_path == 'arch/arm64/kvm/hyp/f"ö\\t.S'
    assert (renamed.old_path, renamed.new_path) == ("old\tname.S", "new\tname.S")
    from reviewbot.backtest.index import _paths

    assert 'arch/arm64/kvm/hyp/f"ö\\t.S' in _paths(QUOTED.encode())


@pytest.mark.parametrize("token, path", [
    ('"a/x\\\\y"', "a/x\\y"), ('"a/\\a\\b\\f\\n\\r\\t\\v"', "a/\a\b\f\n\r\t\v"), ('"a/\\342\\200\\224"', "a/\u2014"),
    ("a/plain.S", "a/plain.S"), ('"a/x\\q"', '"a/x\\q"'), ('"a/x\\"', '"a/x\\"'), ('"a/\\400"', '"a/\\400"'),
    ('"a/\\30"', '"a/\\30"'), ('"a/\\377"', "a/\ufffd"), ('"', '"'),
])
def test_unquoted_path_takes_only_what_git_writes(token, path):
    from reviewbot.mail.git_paths import unquoted_path

    assert unquoted_path(token) == path


def test_quoted_path_is_what_unquoted_path_reads_back():
    from reviewbot.mail.git_paths import quoted_path, unquoted_path

    rng = random.Random(7)
    letters = ['a', '/', '.', 'S', '"', '\\', '\t', '\n', '\x7f', '\x01', 'é', '—', ' ', 'x']
    for _ in range(500):
        path = "".join(rng.choice(letters) for _ in range(rng.randrange(1, 12)))
        quoted = quoted_path(path)
        assert unquoted_path(quoted) == path
        assert (quoted == path) == all(" " <= c < "\x7f" and c not in '"\\' for c in path)
