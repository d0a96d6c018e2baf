"""The email path remembers how it read the same raw From:/To:/Cc: headers
(the patches of a series repeat them): what it gives, and what it refuses,
is what a first reading gives, message by message."""

from __future__ import annotations

import pytest

from reviewbot.errors import MailParseError
from reviewbot.mail import email_path
from reviewbot.mail.parse import parse_message

HEAD = (b"From: =?utf-8?q?Ad=C3=A9_Author?= <ade@example.org>\n"
        b"To: kvmarm@lists.example.org, =?utf-8?q?Marc_Z=C3=BCrich?= <marc@example.org>\n"
        b"Cc: \"Last, First\" <first@example.org>, Will (maintainer) <will@example.org>\n")


def _message(n: int, head: bytes = HEAD) -> bytes:
    return head + (f"Subject: [PATCH {n}/2] arm64: example\nMessage-ID: <p{n}@example.org>\n"
                   f"Date: Wed, 29 Nov 2017 18:20:52 +0000\n\nBody {n}.\n").encode()


def _forget() -> None:
    email_path._rendered.cache_clear()
    email_path._address_pairs.cache_clear()


def test_the_same_headers_read_again_give_what_a_first_reading_gives() -> None:
    _forget()
    first = [parse_message(_message(n), source=f"m#{n}") for n in (1, 2)]
    assert email_path._rendered.cache_info().hits > 0  # the second message's headers were remembered
    _forget()
    again = parse_message(_message(2), source="m#2")
    assert first[1] == again
    assert again.sender == "Adé Author <ade@example.org>"
    assert len(again.to) == 2 and again.cc == ('"Last, First" <first@example.org>', "Will <will@example.org>")


@pytest.mark.parametrize("bad", [b"To: <\n", b'Cc: "\n', b"Reply-To: a@b.c, <\n"])
def test_a_header_refused_once_is_refused_again_naming_each_message(bad: bytes) -> None:
    _forget()
    problems = []
    for n in (1, 2):
        with pytest.raises(MailParseError) as caught:
            parse_message(_message(n, HEAD + bad), source=f"m#{n}")
        problems.append(caught.value)
    assert [p.source for p in problems] == ["m#1", "m#2"]
    assert problems[0].problem == problems[1].problem and "header cannot be read" in problems[0].problem
