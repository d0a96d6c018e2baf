"""reviewbot.mail.plain: the plain-message reader gives exactly what the email
package gives, or refuses the message; it never gives something else."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from reviewbot.mail.email_path import parse_with_email
from reviewbot.mail.parse import parse_input
from reviewbot.mail.plain import read_plain

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BASE = {
    "From": "Ada Author <ada@example.org>",
    "Date": "Wed, 29 Nov 2017 18:20:52 +0000",
    "Subject": "[PATCH 1/4] KVM: arm64: Introduce get_host_ctxt",
    "Message-Id": "<20171129182052.1234-2-ada@example.org>",
}
BODY = b"Some text.\n\nSigned-off-by: Ada Author <ada@example.org>\n---\ndiff --git a/x b/x\n"


def message(headers: dict[str, str], body: bytes = BODY, envelope: bool = False) -> bytes:
    head = "".join(f"{k}: {v}\n" for k, v in headers.items())
    prefix = "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n" if envelope else ""
    return (prefix + head).encode("ascii", "surrogateescape") + b"\n" + body


def same_or_refused(raw: bytes) -> bool:
    """True when the fast reader read ``raw``; fails the test when what it read differs."""
    fast = read_plain(raw, source="t", body_line=7)
    if fast is None:
        return False
    assert fast == parse_with_email(raw, "t", 7)
    return True


ADDRESSES = [
    # (header value, whether the fast reader takes it)
    ("kvmarm@lists.cs.columbia.edu", True),
    ("Marc Zyngier <marc.zyngier@arm.com>", True),
    ("linux-arm-kernel@lists.infradead.org,\n    Marc Reviewer <marc@example.org>", True),
    ("a@b.org,\tc@d.org", True),
    ("<a@b.org>", True),
    ("A<a@b.org>", True),
    ('"Zyngier, Marc" <marc@example.org>', True),
    ('"Marc  Zyngier" <marc@example.org>', False),
    ('" Marc" <marc@example.org>', False),
    ('"" <marc@example.org>', True),
    ('"A.N. Other" <a@b.org>', True),
    ('"A (B)" <a@b.org>', True),
    ("A  B   <a@b.org>", True),
    ('"A  ,B" <a@b.org>', False),
    ('"A\\" B" <a@b.org>', False),
    ("A. N. Other <a@b.org>", False),
    ("a@b.org (Ada)", False),
    ("undisclosed-recipients:;", False),
    ("a@b.org,", False),
    ("", False),
]


@pytest.mark.parametrize("value,taken", ADDRESSES)
@pytest.mark.parametrize("header", ["To", "Cc", "From", "Reply-To"])
def test_address_headers(header, value, taken):
    one_address = value.count("@") == 1
    assert same_or_refused(message({**BASE, header: value})) is (taken and (header != "From" or one_address))


DATES = [
    ("Wed, 29 Nov 2017 18:20:52 +0000", True),
    ("Wed, 29 Nov 2017 18:20:52 -0000", True),
    ("Wed,  1 Nov 2017 18:20:52 +0100", True),  # the email package writes 01
    ("Wed, 1 Nov 2017 18:20:52 +0530 (IST)", True),
    ("1 Nov 2017 18:20:52 -0700", True),
    ("Mon, 29 Nov 2017 18:20:52 +0000", True),  # a wrong weekday is rewritten
    ("Wed, 31 Nov 2017 18:20:52 +0000", False),
    ("Wed, 29 Nov 2017 18:20 +0000", False),
    ("Wed, 29 Nov 2017 18:20:52 GMT", False),
    ("Wed, 29 Nov 17 18:20:52 +0000", False),
    ("2017-11-29T18:20:52Z", False),
    ("", False),
]


@pytest.mark.parametrize("value,taken", DATES)
def test_date_headers(value, taken):
    assert same_or_refused(message({**BASE, "Date": value})) is taken


BODIES = [
    # (extra headers, body, taken)
    ({}, "déjà vu\n".encode(), True),
    ({"Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}, "é\n".encode(), True),
    ({"Content-Type": 'text/plain; charset="us-ascii"; format=flowed'}, b"plain\n", True),
    ({"Content-Type": "text/plain; charset=iso-8859-1"}, "é\n".encode("latin-1"), True),
    ({"Content-Type": "text/plain; charset=x-unknown"}, b"plain\n", True),
    ({"Content-Type": "text/plain; charset=utf-8"}, b"\xe9 not utf-8\n", True),
    ({"Content-Transfer-Encoding": "7BIT"}, b"plain\n", True),
    ({"Content-Transfer-Encoding": "quoted-printable"}, b"caf=C3=A9\n", False),
    ({"Content-Transfer-Encoding": "base64"}, b"Y2Fmw6kK\n", False),
    ({"Content-Type": 'multipart/mixed; boundary="b"'}, b"--b\n\nx\n--b--\n", False),
    ({"Content-Type": "text/x-patch"}, b"plain\n", False),
]


@pytest.mark.parametrize("extra,body,taken", BODIES)
def test_bodies_charsets_and_transfer_encodings(extra, body, taken):
    assert same_or_refused(message({**BASE, **extra}, body)) is taken


OTHER = [
    ({"Subject": "=?UTF-8?q?caf=C3=A9?="}, False),
    ({"From": "=?UTF-8?q?Ren=C3=A9?= <r@example.org>"}, False),
    ({"X-Mailer": "=?UTF-8?q?x?="}, True),  # kept raw by both
    ({"Subject": "[PATCH v2 03/10] KVM: arm64: a subject that is long\n enough to be folded"}, True),
    ({"In-Reply-To": "<cover.1511979651.git.ada@example.org>",
      "References": "<a@b>\n <cover.1511979651.git.ada@example.org>"}, True),
    ({"List-Id": "<kvmarm.lists.cs.columbia.edu>"}, True),
    ({"List-Id": "Linux ARM <linux-arm-kernel.lists.infradead.org>"}, True),
    ({"Message-Id": "not-in-brackets@example.org"}, False),
    ({"Subject": "tab\tinside"}, True),
    ({"X-Raw": "caf\udcc3\udca9"}, False),  # 8-bit bytes in a header
    ({"Received": "from x\n\t(by y)"}, True),
]


@pytest.mark.parametrize("extra,taken", OTHER)
def test_other_headers(extra, taken):
    assert same_or_refused(message({**BASE, **extra})) is taken


def test_broken_header_blocks_are_left_to_the_email_package():
    assert same_or_refused(message(BASE, envelope=True))
    for broken in (b" continuation first\n", b"Not a header line\n", b"From someone else\n", b"   \n"):
        raw = message(BASE)
        assert read_plain(raw.replace(b"Subject:", broken + b"Subject:", 1), source="t", body_line=1) is None


def test_every_combination_of_the_common_shapes():
    shapes = {
        "Cc": [v for v, taken in ADDRESSES if taken],
        "Date": [v for v, taken in DATES if taken],
        "Content-Type": [None, "text/plain; charset=UTF-8"],
    }
    read = 0
    for cc, date, content_type in itertools.product(*shapes.values()):
        headers = {**BASE, "Cc": cc, "Date": date}
        if content_type:
            headers["Content-Type"] = content_type
        read += same_or_refused(message(headers))
    assert read == len(shapes["Cc"]) * len(shapes["Date"]) * 2


def test_the_example_patches_take_the_fast_path(monkeypatch):
    def no_email(*args, **kwargs):
        raise AssertionError("the email package was used")

    monkeypatch.setattr("reviewbot.mail.email_path.parse_with_email", no_email)
    paths = sorted((EXAMPLES / "seed-series").glob("*.patch")) + [EXAMPLES / "seed-series.mbox"]
    for path in paths:
        messages, errors = parse_input(path.read_bytes(), source=path.name)
        assert messages and not errors


def test_reading_a_plain_patch_does_not_import_the_email_package(tmp_path):
    import subprocess

    code = ("import sys; from reviewbot.mail.parse import parse_input; "
            f"parse_input(open({str(next((EXAMPLES / 'seed-series').glob('*.patch')))!r}, 'rb').read(), source='p'); "
            "print(sorted(m for m in sys.modules if m == 'email' or m.startswith('email.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
