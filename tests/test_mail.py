"""Mail parsing: mbox splitting, encodings, subject tags, series assembly."""

from __future__ import annotations

import base64
import quopri

import pytest

from reviewbot.errors import MailParseError
from reviewbot.mail.parse import parse_input, parse_message, split_mbox
from reviewbot.mail.series import assemble_series, parse_subject, to_patch
from tests.conftest import EXAMPLES, make_patch

HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmrs\tx0, tpidr_el2\n \tret\n"


@pytest.mark.parametrize("subject, prefixes, version, index, total, title", [
    ("[PATCH v3 01/37] KVM: arm64: Avoid storing", ("PATCH",), 3, 1, 37, "KVM: arm64: Avoid storing"),
    ("[PATCH] arm64: fix", ("PATCH",), 1, None, None, "arm64: fix"),
    ("[RFC PATCH v2 0/4] series", ("RFC", "PATCH"), 2, 0, 4, "series"),
    ("[PATCH net-next,v5,2/3] net: x", ("PATCH", "net-next"), 5, 2, 3, "net: x"),
    ("[kvm-unit-tests PATCH] x", ("kvm-unit-tests", "PATCH"), 1, None, None, "x"),
    ("Re: [PATCH 1/2] y", (), 1, None, None, "Re: [PATCH 1/2] y"),
    ("[PATCH V4 3/9] z", ("PATCH",), 4, 3, 9, "z"),
])
def test_subject_tags(subject, prefixes, version, index, total, title):
    tags = parse_subject(subject)
    assert (tags.prefixes, tags.version, tags.index, tags.total, tags.title) == (prefixes, version, index, total, title)


def test_split_mbox_unquotes_mboxrd_and_numbers_lines():
    data = (b"From a@b Mon Sep 17 00:00:00 2001\nSubject: one\n\n>From the start\n>>From two\n\n"
            b"From a@b Mon Sep 17 00:00:00 2001\nSubject: two\n\nbody\n")
    chunks = list(split_mbox(data))
    assert [line for line, _ in chunks] == [2, 8]
    assert b"\nFrom the start\n>From two\n" in chunks[0][1]


def test_body_line_points_into_the_input():
    text = make_patch("arch/arm64/kvm/hyp/entry.S", HUNK)
    messages, errors = parse_input(text.encode(), source="x.patch")
    assert not errors
    patch = to_patch(messages[0])
    added = [line for line in patch.files[0].hunks[0].lines if line.kind == "+"][0]
    assert text.split("\n")[added.mail_line - 1] == "+\tmrs\tx0, tpidr_el2"


def _mime(body: bytes, cte: str, charset: str) -> bytes:
    return (b"From: A <a@example.org>\nSubject: [PATCH] arm64: x\nMessage-Id: <m@x>\n"
            b"MIME-Version: 1.0\nContent-Type: text/plain; charset=" + charset.encode() +
            b"\nContent-Transfer-Encoding: " + cte.encode() + b"\n\n" + body)


def test_quoted_printable_base64_and_charsets():
    body = ("Caf\u00e9 fix\n---\ndiff --git a/a.S b/a.S\n--- a/a.S\n+++ b/a.S\n" + HUNK).encode("utf-8")
    qp = _mime(quopri.encodestring(body), "quoted-printable", "utf-8")
    b64 = _mime(base64.encodebytes(body), "base64", "utf-8")
    latin = _mime(body.decode("utf-8").encode("latin-1"), "8bit", "iso-8859-1")
    for raw in (qp, b64, latin, latin.replace(b"\n", b"\r\n")):
        message = parse_message(raw)
        assert message.body.startswith("Caf\u00e9 fix")
        patch = to_patch(message)
        assert patch.files[0].hunks[0].lines[1].text == "\tmrs\tx0, tpidr_el2"


def test_undeclared_8bit_latin1_falls_back():
    raw = b"From: A <a@example.org>\nSubject: x\n\nna\xefve\n"
    assert "na\u00efve" in parse_message(raw).body


def test_not_mail_is_an_error():
    with pytest.raises(MailParseError, match="no header block"):
        parse_message(b"just text\n")


def test_plain_diff_becomes_a_headerless_message():
    messages, _ = parse_input(b"diff --git a/a.S b/a.S\n--- a/a.S\n+++ b/a.S\n" + HUNK.encode(), source="d.diff")
    assert messages[0].msgid is None
    assert to_patch(messages[0]).files[0].path == "a.S"


def test_example_series_assembles_in_order_with_its_cover():
    messages, errors = parse_input((EXAMPLES / "seed-series.mbox").read_bytes(), source="seed")
    assert not errors
    series, broken = assemble_series(messages)
    assert not broken and len(series) == 1
    assert [p.tags.index for p in series[0].patches] == [1, 2, 3, 4]
    assert series[0].cover is not None and series[0].total == 4
    assert series[0].patches[0].base_commit is None  # base-commit sits in the cover letter


def test_revisions_and_replies_are_told_apart():
    v1 = make_patch("a.S", HUNK, subject="[PATCH 1/1] arm64: x", msgid="v1@x")
    v2 = make_patch("a.S", HUNK, subject="[PATCH v2 1/1] arm64: x", msgid="v2@x")
    reply = make_patch("a.S", HUNK, subject="Re: [PATCH v2 1/1] arm64: x", msgid="r@x")
    messages, _ = parse_input((v1 + v2 + reply).encode(), source="m")
    series, _ = assemble_series(messages)
    assert sorted(s.version for s in series) == [1, 2]
    assert all(len(s.patches) == 1 for s in series)


def test_malformed_patch_is_marked_not_raised():
    bad = make_patch("a.S", "@@ -1,5 +1,6 @@\n foo:\n+\tnop\n")
    messages, _ = parse_input(bad.encode(), source="bad.patch")
    patch = to_patch(messages[0])
    assert patch.error and "shorter than its header says" in patch.error


def test_a_v2_sent_in_reply_to_the_v1_cover_is_its_own_series():
    cover = ("From: A <a@example.org>\nMessage-Id: <c1@x>\nSubject: [PATCH 0/1] s\n\ncover\n")
    v1 = make_patch("a.S", HUNK, subject="[PATCH 1/1] arm64: x", msgid="p1@x",
                    extra_headers="In-Reply-To: <c1@x>\nReferences: <c1@x>\n")
    v2 = make_patch("a.S", HUNK, subject="[PATCH v2 1/1] arm64: x", msgid="p2@x",
                    extra_headers="In-Reply-To: <c1@x>\nReferences: <c1@x>\n")
    data = "From x Mon Sep 17 00:00:00 2001\n" + cover + "\n" + v1 + "\n" + v2
    messages, _ = parse_input(data.encode(), source="m")
    series, _ = assemble_series(messages)
    assert sorted((s.version, len(s.patches)) for s in series) == [(1, 1), (2, 1)]


def test_unrelated_series_with_the_same_count_stay_apart():
    def series(tag: str) -> str:
        cover = f"From: A <a@example.org>\nMessage-Id: <{tag}-0@x>\nSubject: [PATCH 0/2] {tag}\n\ncover\n"
        parts = [make_patch("a.S", HUNK, subject=f"[PATCH {i}/2] {tag}", msgid=f"{tag}-{i}@x",
                            extra_headers=f"In-Reply-To: <{tag}-0@x>\nReferences: <{tag}-0@x>\n")
                 for i in (1, 2)]
        return "From x Mon Sep 17 00:00:00 2001\n" + cover + "\n" + "\n".join(parts)

    messages, _ = parse_input((series("one") + "\n" + series("two")).encode(), source="m")
    found, _ = assemble_series(messages)
    assert sorted((s.cover.subject, len(s.patches)) for s in found) == [
        ("[PATCH 0/2] one", 2), ("[PATCH 0/2] two", 2)]


def test_unthreaded_format_patch_files_form_one_series():
    parts = [make_patch("a.S", HUNK, subject=f"[PATCH {i}/3] x", msgid=f"u{i}@x") for i in (1, 2, 3)]
    messages, _ = parse_input("\n".join(parts).encode(), source="m")
    found, _ = assemble_series(messages)
    assert [len(s.patches) for s in found] == [3]
