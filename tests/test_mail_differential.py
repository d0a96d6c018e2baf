"""Differential fuzzing of the plain-mail reader against the email package.

:func:`reviewbot.mail.plain.read_plain` must give exactly the Message the
email-package path gives, or refuse (None).  Hypothesis builds messages
from the header shapes where the two readers could part (Message-IDs,
address lists, dates, content types) and mutates real patches byte by
byte; every message the plain reader accepts is compared field by field.
Derandomized and bounded: the same 10,200 generated and mutated messages on
every run (3 x 3,400), plus 1,500 that only must not crash the reader."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewbot.errors import MailParseError
from reviewbot.mail.email_path import parse_with_email
from reviewbot.mail.parse import parse_message
from reviewbot.mail.plain import read_plain
from reviewbot.records import fields

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def fuzz(examples: int) -> settings:
    """Seeded and bounded: the same ``examples`` inputs on every run."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# Pieces of header values where readers disagree: specials, quotes,
# comments, brackets, encoded words, group syntax, dots in odd places.
PIECES = ["a", "b", "Ada", "x.y", "@", "@@", ".", "..", ",", ";", ":", "<", ">", "(", ")", '"', "\\",
          " ", "  ", "\t", "\n ", "=?utf-8?q?a?=", "[", "]", "-", "_", "+", "a@b", "a@b.c", "<a@b.c>",
          "a@.b", "a@b..c", "<a@b@c>", "<a,b@c>", "<a(x)@b>", "undisclosed-recipients:;", "é", "\x7f",
          "0", "29", "Nov", "Wed,", "2017", "18:20:52", "+0000", "text/plain", "charset=", "utf-8"]
HEADERS = ["From", "To", "Cc", "Reply-To", "Message-ID", "In-Reply-To", "References", "Date",
           "Subject", "List-Id", "Content-Type", "Content-Transfer-Encoding", "X-Other"]
BASE = [("From", "Ada Author <ada@example.org>"), ("Date", "Wed, 29 Nov 2017 18:20:52 +0000"),
        ("Subject", "[PATCH 1/2] KVM: arm64: x"), ("Message-ID", "<1.ada@example.org>"),
        ("To", "kvmarm@lists.cs.columbia.edu")]
BODY = b"Text.\n\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"

values = st.lists(st.sampled_from(PIECES), min_size=0, max_size=8).map("".join)


def compare(raw: bytes) -> bool:
    """True when the plain reader took ``raw``; fails when it read
    something other than the email package reads."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, _ = raw.partition(b"\n\n")
    if not sep:
        return False
    body_line = head.count(b"\n") + 3
    fast = read_plain(raw, source="t", body_line=body_line)
    if fast is None:
        return False
    try:
        slow = parse_with_email(raw, "t", body_line)
    except MailParseError as exc:
        raise AssertionError(f"the plain reader took a message the email path refuses: {exc}") from None
    differences = {f.name: (getattr(fast, f.name), getattr(slow, f.name))
                   for f in fields(slow) if getattr(fast, f.name) != getattr(slow, f.name)}
    assert not differences, f"plain reader / email package differ on {raw[:400]!r}: {differences}"
    return True


def build(headers: list[tuple[str, str]], body: bytes = BODY) -> bytes:
    return "".join(f"{k}: {v}\n" for k, v in headers).encode("utf-8", "surrogateescape") + b"\n" + body


@fuzz(3400)
@given(name=st.sampled_from(HEADERS), value=values, where=st.integers(0, len(BASE)))
def test_one_generated_header(name, value, where):
    headers = list(BASE)
    headers.insert(where, (name, value))
    compare(build(headers))


@fuzz(3400)
@given(st.lists(st.tuples(st.sampled_from(HEADERS), values), min_size=1, max_size=6))
def test_generated_header_blocks(generated):
    compare(build([*BASE[:1], *generated]))


def _seed_messages() -> list[bytes]:
    paths = sorted((EXAMPLES / "seed-series").glob("*.patch"))
    return [p.read_bytes().split(b"\n", 1)[1] for p in paths]  # without the mbox From line


SEEDS = _seed_messages()
MUTATIONS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3),
                               st.sampled_from([p.encode() for p in PIECES] + [b"\n", b"\x00", b"\xff"])),
                     min_size=1, max_size=6)


def mutate(raw: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Insert, replace or delete around offsets inside the header block."""
    head_end = raw.find(b"\n\n")
    for offset, kind, piece in edits:
        at = offset % max(head_end, 1)
        if kind == 0:
            raw = raw[:at] + piece + raw[at:]
        elif kind == 1:
            raw = raw[:at] + piece + raw[at + len(piece):]
        elif kind == 2:
            raw = raw[:at] + raw[at + 1 + offset % 7:]
        else:
            raw = raw[:at] + piece * (2 + offset % 5) + raw[at:]
        head_end = max(raw.find(b"\n\n"), 1)
    return raw


@fuzz(3400)
@given(seed=st.sampled_from(range(len(SEEDS))), edits=MUTATIONS)
def test_mutated_patches(seed, edits):
    compare(mutate(SEEDS[seed], edits))


@fuzz(1500)
@given(seed=st.sampled_from(range(len(SEEDS))), edits=MUTATIONS)
def test_parse_message_raises_only_mail_parse_error(seed, edits):
    try:
        message = parse_message(mutate(SEEDS[seed], edits), source="m#1")
    except MailParseError as exc:
        assert str(exc).startswith("m#1: ")
        return
    for value in (message.msgid, message.in_reply_to, *message.references):
        assert value is None or not any(c in value for c in "\r\n\x00 <>")
    for value in (message.sender, *message.to, *message.cc, *message.reply_to):
        assert "\r" not in value and "\n" not in value and "\x00" not in value


KNOWN = [
    # (a header the plain reader once read differently, whether it may take it)
    ("Message-ID", "<a@b@c>"), ("Message-ID", "<a,b@c>"), ("Message-ID", "<a(x)@b>"),
    ("Message-ID", "<,x@y>"), ("To", "a@.b"), ("To", "a@b..c"), ("Cc", "A <a@b..c>"),
    ("To", "a@b."), ("Reply-To", "x <a@.b>"),
]


def test_the_known_differences_hold():
    for name, value in KNOWN:
        compare(build([*BASE, (name, value)]))
