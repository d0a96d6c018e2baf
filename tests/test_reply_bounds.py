"""reply.compose keeps every header within what mail servers accept
(RFC 5322: 998 octets a line) whatever the patch's headers hold, and keeps
threading for ordinary Message-IDs."""

from __future__ import annotations

import email
import email.policy

from reviewbot.bot import reply
from reviewbot.records import replace

from test_reply import BOT, case_inputs


def composed(**changes) -> tuple[bytes, object]:
    review, series, _ = case_inputs("seed-get-host-ctxt")
    message = replace(review.patch.message, **changes)
    review = replace(review, patch=replace(review.patch, message=message))
    msg = reply.compose(review, series, BOT, rules_version="t", date="Wed, 29 Nov 2017 18:20:52 +0000")
    return (msg.as_bytes() if msg is not None else b""), message


def header_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n\n", 1)[0].split(b"\n")


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_a_50_kb_sender_name_is_dropped_and_the_address_kept():
    data, _ = composed(sender="N" * 50_000 + " <ada@example.org>", reply_to=())
    assert max(map(len, header_lines(data))) <= 998
    assert parsed(data)["To"] == "ada@example.org"
    assert b"N" * 300 not in data  # not in the attribution line either


def test_absurd_recipients_are_left_out_and_the_list_folded():
    many = tuple(f"Person {i} <p{i}@example.org>" for i in range(400))
    data, _ = composed(cc=("x" * 300 + "@example.org", "M" * 3000 + " <m@example.org>", *many))
    lines = header_lines(data)
    assert max(map(len, lines)) <= 998
    cc = str(parsed(data)["Cc"])
    assert "x" * 300 not in cc and "m@example.org" in cc and "p399@example.org" in cc


def test_an_over_long_reference_is_dropped_and_threading_kept():
    data, message = composed(references=("ok@example.org", "q" * 100_000 + "@x"))
    assert max(map(len, header_lines(data))) <= 998
    msg = parsed(data)
    assert msg["In-Reply-To"] == f"<{message.msgid}>"
    assert "=?" not in str(msg["References"])
    assert str(msg["References"]).split() == ["<ok@example.org>", f"<{message.msgid}>"]


def test_no_reply_to_a_message_id_no_header_line_can_hold():
    data, _ = composed(msgid="r" * 100_000 + "@x")
    assert data == b""


def test_a_long_subject_is_cut():
    data, _ = composed(subject="[PATCH] " + "word " * 20_000)
    subject = str(parsed(data)["Subject"])
    assert subject.startswith("Re: [PATCH] word") and subject.endswith("...") and len(subject) <= 900
    assert max(map(len, header_lines(data))) <= 998


def test_ordinary_headers_are_unchanged():
    data, message = composed()
    msg = parsed(data)
    assert msg["In-Reply-To"] == f"<{message.msgid}>"
    assert str(msg["To"]) == message.sender
