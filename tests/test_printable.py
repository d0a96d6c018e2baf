"""Text from a patch never reaches the reader's terminal as control
characters: an escape sequence, a carriage return or a line break in a
path, a subject or a quoted line is shown as its escape, in every format
made for a person; the machine formats keep the text as it is."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from reviewbot.printable import PrintableFormatter, printable
from tests.conftest import make_patch, run_cli

HOSTILE = "\x1b[2J\x1b]0;title\x07\r\u202e"
HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"


def _control(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"}


def test_control_characters_are_shown_as_escapes():
    assert printable("a\x1b[31mb\rc\nd\te\u202ef\x9b\x7f") == "a\\x1b[31mb\\rc\\nd\te\\u202ef\\x9b\\x7f"
    # over several lines, no line can pass for one of reviewbot's own
    assert printable("one\nreviewbot: 0 problems\x07\n  kept", lines=True) == \
        "one\n  reviewbot: 0 problems\\x07\n  kept"
    assert printable("arch/arm64/kvm/hyp/entry.S:12: plain") == "arch/arm64/kvm/hyp/entry.S:12: plain"
    assert printable("e\u200bntry.S\u2028\ufeff") == "e\\u200bntry.S\\u2028\\ufeff"  # invisible, a line break
    assert printable("Jos\u00e9 \u4e2d\u6587 \u2014 ok") == "Jos\u00e9 \u4e2d\u6587 \u2014 ok"  # letters stay


@pytest.mark.parametrize("fmt", ["text", "checkpatch", "b4", "b4-review"])
def test_a_path_with_escape_sequences_is_shown_escaped(tmp_path: Path, capsys, fmt):
    path = f"arch/arm64/kvm/hyp/e{HOSTILE}.S"
    patch = tmp_path / "hostile.patch"
    patch.write_text(make_patch(path, HUNK))
    code, out, err = run_cli(capsys, "check", "--format", fmt, "-c", "context.kernel=6.1", str(patch))
    assert code == 1, err
    assert not _control(out) and not _control(err)
    shown = out if fmt != "b4-review" else json.loads(json.loads(out)[0]["details"])[0]["description"]
    carriage_return = " " if fmt.startswith("b4") else "\\r"  # b4's formats put a finding on one line
    assert f"e\\x1b[2J\\x1b]0;title\\x07{carriage_return}\\u202e.S:2" in shown


def test_the_json_format_keeps_the_path_as_it_is(tmp_path: Path, capsys):
    path = f"arch/arm64/kvm/hyp/e{HOSTILE}.S"
    patch = tmp_path / "hostile.patch"
    patch.write_text(make_patch(path, HUNK))
    code, out, _ = run_cli(capsys, "check", "--format", "json", "-c", "context.kernel=6.1", str(patch))
    assert code == 1 and json.loads(out)["findings"][0]["path"] == path


def test_an_error_quoting_the_input_is_shown_escaped(tmp_path: Path, capsys):
    patch = tmp_path / "mangled.patch"
    patch.write_text(make_patch("arch/arm64/kvm/hyp/entry.S", f"junk{HOSTILE}\n"))
    code, _, err = run_cli(capsys, "check", str(patch))
    assert code == 2 and "junk\\x1b[2J" in err and not _control(err)


def test_the_review_summary_shows_no_control_character_of_a_subject(tmp_path: Path, capsys):
    mbox = tmp_path / "series.mbox"
    mbox.write_text(make_patch("arch/arm64/kvm/hyp/entry.S", HUNK, subject="[PATCH] KVM: arm64: =?utf-8?q?a=1B=5B2Jb?="))
    code, out, err = run_cli(capsys, "review", "--outbox", str(tmp_path / "out"), "--db", str(tmp_path / "db.sqlite"),
                             "-c", "context.kernel=6.1", str(mbox))
    assert code == 0, err
    assert "[2Jb" in out and not _control(out)


def test_log_records_are_shown_escaped():
    record = logging.LogRecord("reviewbot", logging.WARNING, __file__, 1, "skipped %s", (f"x{HOSTILE}",), None)
    shown = PrintableFormatter("reviewbot: %(message)s").format(record)
    assert shown == "reviewbot: skipped x\\x1b[2J\\x1b]0;title\\x07\\r\\u202e"


def test_what_a_poll_did_shows_a_server_error_escaped():
    from reviewbot.bot.watcher import Outcome
    from reviewbot.commands.watch import outcomes_text

    text = outcomes_text([Outcome("error", "kvmarm", detail=f"HTTP 500: {HOSTILE}"),
                          Outcome("failed", "kvmarm", title="t", version=1, detail=f"crash{HOSTILE}")])
    assert "HTTP 500: \\x1b[2J" in text and "crash\\x1b[2J" in text and not _control(text)


def test_a_fix_not_made_names_the_path_escaped(tmp_path: Path, capsys, monkeypatch):
    patch = tmp_path / "hostile.patch"
    swapped = "@@ -1,4 +1,5 @@\n static void f(u64 val)\n {\n \tint x;\n+\twrite_sysreg_s(SYS_ICC_SRE_EL2, val);\n }\n"
    patch.write_text(make_patch(f"arch/arm64/kvm/hyp/e{HOSTILE}.c", swapped))  # a fix marked safe
    monkeypatch.chdir(tmp_path)  # no such file here: the fix cannot be made
    _, _, err = run_cli(capsys, "check", "--diff", "--no-tree", "-c", "context.kernel=6.1", str(patch))
    assert "not fixed arch/arm64/kvm/hyp/e\\x1b[2J" in err and not _control(err)


def test_the_outbox_status_shows_a_servers_answer_escaped():
    from types import SimpleNamespace

    from reviewbot.commands.outbox_admin import status_text

    stored = SimpleNamespace(reply_msgid="<r@example.org>", subject="Re: x", error=f"451 {HOSTILE}greylisted")
    outbox = SimpleNamespace(database="db", path="out", counts=lambda: {"pending": 1}, ambiguous=list,
                             replies=lambda state: [stored])
    text = status_text(outbox, None)
    assert "last try: 451 \\x1b[2J" in text and not _control(text)


def test_the_progress_line_shows_a_file_name_escaped():
    import io

    from reviewbot.commands.review_summary import Progress

    stream = io.StringIO()
    Progress(stream, True).update(f"reading pd/{HOSTILE}.mbox:", 1, 3)
    assert stream.getvalue() == "\r\x1b[Kreviewbot: reading pd/\\x1b[2J\\x1b]0;title\\x07\\r\\u202e.mbox: 1/3"


def test_parse_shows_an_unread_line_escaped(tmp_path: Path, capsys):
    source = tmp_path / "odd.S"
    source.write_text(f"foo:\n\t{HOSTILE}bogus x0, ##\n\t.macro m a={HOSTILE}z\n\t.endm\n")
    for stats in ([], ["--stats"]):
        _, out, err = run_cli(capsys, "parse", *stats, str(source))
        assert "\\x1b[2J" in out and not _control(out) and not _control(err)
