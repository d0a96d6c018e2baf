"""Adversarial inputs for every regex that reads mail or patch text, as
the code calls it.  Shared by ``tests/test_regex_redos.py`` (the result is
right on large inputs) and ``bench/bench_redos.py`` (the time grows
linearly with the size).  Each case: ``build(n)`` makes an input of about
``n`` units that drives its regexes into their worst backtracking,
``run(input)`` calls the code, ``check(result, n)`` says the result is right."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reviewbot.records import record


@record
class Case:
    name: str
    regexes: str  # the regexes this case drives, for the report
    build: Callable[[int], Any]
    run: Callable[[Any], Any]
    check: Callable[[Any, int], bool]


def _mail(headers: str, body: str = "text\n") -> bytes:
    return (headers + "\n" + body).encode("utf-8", "surrogateescape")


def _patch(line: str, notes: str = "", tail: str = "") -> str:
    return (f"Commit message.\n---\n{notes}diff --git a/x.S b/x.S\n--- a/x.S\n+++ b/x.S\n@@ -1,0 +1,1 @@\n"
            f"+{line}\n{tail}")


def _cases() -> list[Case]:
    from reviewbot.asm.parser import outline, parse
    from reviewbot.bot import reply
    from reviewbot.engine import patch_ignores
    from reviewbot.errors import MailParseError
    from reviewbot.mail import diff, parse as mail, series
    from reviewbot.match import comments
    from reviewbot.model import Message, Patch, SubjectTags

    def message_of(raw: bytes):
        """The message, or the refusal of a header too long to read."""
        try:
            return mail.parse_message(raw, source="m")
        except MailParseError as exc:
            assert "characters long (at most" in exc.problem, exc.problem
            return exc

    def read(check):
        return lambda r, n: isinstance(r, MailParseError) or check(r, n)

    def patch_with_notes(notes: str) -> Patch:
        m = Message(msgid="a@b", subject="", sender="", body="")
        return Patch(message=m, tags=SubjectTags(title=""), commit_message="", files=(), notes=notes)

    return [
        Case("signature after a long line", "diff: the '-- ' trailer (was ^-- \\n(?:.*\\n?){0,3}\\Z)",
             lambda n: _patch("nop", tail="-- \n" + "x" * n + "\n" + "a\n" * 4),
             lambda text: diff.parse_patch(text), lambda r, n: len(r) == 1),
        Case("many '-- ' lines", "diff: the '-- ' trailer",
             lambda n: _patch("nop", tail="-- \n" * n), lambda text: diff._strip_signature(text),
             lambda r, n: r.count("-- \n") == max(n - 4, 0)),
        Case("hunk header near-miss", "diff._HUNK_HEADER, _INDEX_LINE",
             lambda n: _patch("nop", tail="@@ -" + "1" * n + ",\n" + "index " + "a" * n + ".\n"),
             lambda text: diff._hunk_lines(text.split("\n"), "t", 1), lambda r, n: r[0] is None and len(r[1]) == 1),
        Case("mbox separators", "parse._SEPARATOR, _FORMAT_PATCH_FROM, _MBOXRD_QUOTED",
             lambda n: (b"From x\nSubject: a\n\n" + b">" * n + b"From \n\n") * 3 + b"From " + b"a " * n,
             lambda data: list(mail.split_mbox(data)), lambda r, n: len(r) == 4),
        Case("subject tags", "series._SUBJECT_TAGS, _VERSION, _COUNTER, _REPLY_PREFIX",
             lambda n: "[" * n + "v1 " * n + " 1/" + "2" * n, series.parse_subject,
             lambda r, n: r.version == 1 and r.index is None),
        Case("reply prefixes", "series._REPLY_PREFIX", lambda n: " " * n + "re" + " " * n + "x",
             lambda s: series.is_reply(Message(msgid=None, subject=s, sender="", body="")), lambda r, n: r is False),
        Case("notes, diff start and base-commit", "series._DIFF_START, _BASE_COMMIT, the '---' of the notes",
             lambda n: "---" + " \n" * n + "base-commit:" + " " * n + "\n" + "base-commit: " + "0" * n + "\n",
             lambda body: series.to_patch(Message(msgid=None, subject="", sender="", body=body)),
             lambda r, n: r is None),
        Case("header lines", "plain._HEADER, parse._HEADER_LINE, plain._NOT_ASCII",
             lambda n: _mail("Subject: x\n" + "X" * n + "\n"), lambda raw: mail.looks_like_mail(raw) and message_of(raw),
             read(lambda r, n: r.subject == "x")),
        Case("address list of near-misses", "plain._ENTRY, email_path._USABLE_ADDRESS, email.utils.getaddresses",
             lambda n: _mail("From: a@b.c\nTo: " + "a " * n + "<a@b.c> " + "x@" * n + "\n"), message_of,
             read(lambda r, n: r.sender == "a@b.c")),
        Case("many addresses", "plain._ENTRY, _SPECIALS",
             lambda n: _mail("From: a@b.c\nTo: " + ", ".join(f"P {i} <p{i}@x.org>" for i in range(n // 10)) + "\n"),
             message_of, read(lambda r, n: len(r.to) == n // 10)),
        Case("Message-IDs", "plain._MSGID, _BARE_MSGID",
             lambda n: _mail("From: a@b.c\nMessage-ID: " + "<" * n + "a@b" + ">" * n + "\nReferences: " + "<a " * n + "\n"),
             message_of, read(lambda r, n: r.msgid == "a@b" and r.references == ())),
        Case("dates and content types", "plain._DATE, _CONTENT_TYPE, _CHARSET",
             lambda n: _mail("From: a@b.c\nDate: 1 " + " " * n + "Nov 2017 x\nContent-Type: text/plain" + "; a=b" * n + ";"
                             + " " * n + "x\n"), message_of, read(lambda r, n: r.sender == "a@b.c")),
        Case("asm: long words, labels, assignments", "scanner.LABEL_RE, ASSIGN_RE, DIRECTIVE_RE; parser._MNEMONIC*",
             lambda n: "\t" + "a." * n + " = " + "b " * n + "\n" + "a" * n + "(" * 3 + ":\n" + "." + "a" * n + "\n",
             parse, lambda r, n: len(r) >= 3),
        Case("asm: C macro calls and strings", "scanner.CMACRO_RE, _CMACRO_START, _STRINGS, _STRING_TAIL, _CHAR_TAIL",
             lambda n: "FOO(" + "(a, " * 3 + '"' + "\\\"" * n + "\n" + "BAR(" + "a, " * n + "\n" + "'" * n + "\n",
             parse, lambda r, n: len(r) >= 2),
        Case("asm: operands", "operands._WORD, _NUMBER, _LABELREF, _SHIFT_OP, _BINOP, _RELOC, _RARE_PATTERNS",
             lambda n: "\tadd x0, x1, " + "1" * n + "b" + " + 0x" + "f" * n + " << " + "lsl " * n + "\n"
             + "\tmymacro " + "a=b, " * n + "\n" + "\tfoo " + "(x " * n + "\n",
             parse, lambda r, n: len(r) == 3),
        Case("asm: the outliner's one-instruction lines", "scanner._PLAIN (a lookahead for .req, a tail class)",
             lambda n: "a" + " \t" * n + ",\n" + "a" + "b " * n + ",\n" + " " * n + "(\n" + "a" + ".re" * n + ",\n"
             + "mov x0, " + "x1 " * n + "\\\n" + "nop\n",
             outline, lambda r, n: len(r) >= 5),
        Case("asm: objdump and preprocessor", "scanner._OBJDUMP_INSN, _OBJDUMP_FUNC, _PREPROCESSOR; parser._QUOTE",
             lambda n: "  " + "0" * n + ":\t" + "\t" * n + "x\n" + "0" * n + " <" + "a" * n + ">\n#" + " " * n + "if x\n"
             + "> " * n + "nop\n", parse, lambda r, n: len(r) >= 3),
        Case("stale comments", "comments._CALL, _QUOTED, _POOL, _REGISTER",
             lambda n: "/* " + "a" * n + "() " + "'" * n + " literal" + " " * n + "pool x" + "1" * n + " */",
             lambda text: comments.mentions(text, ("quoted", "call", "pool", "register")),
             lambda r, n: [m.kind for m in r] == ["call"]),
        Case("reviewbot-ignore in blank-line notes", "engine._IGNORE_LINE (was \\s* across lines: quadratic)",
             lambda n: "\n" * n + " \n" * n + "reviewbot-ignore: a.b because\n",
             lambda notes: patch_ignores(patch_with_notes(notes)), lambda r, n: r == {"a.b": "because"}),
        Case("reply: trailer-like lines", "reply._TRAILER_LIKE, _REPLY_SUBJECT",
             lambda n: "a" + ":" * n + "\n" + " " * n + "Re" + " " * n + "\n-- \nx\n",
             reply._defuse_trailers, lambda r, n: r.startswith("a:")),
        Case("reply: list addresses", "reply._LIST_DOMAIN, the mailto: finder",
             lambda n: Message(msgid=None, subject="", sender="", body="",
                               headers=(("List-Post", "<mailto:" + "a" * n + "?" + ">" * n + ">"),),
                               cc=("x@" + "lists." * n + "org",), list_id="a" + ".a" * n),
             reply.list_addresses, lambda r, n: isinstance(r, tuple)),
        Case("subject of a reply", "reply._REPLY_SUBJECT",
             lambda n: " " * n + "re" + " " * n + "x", reply.reply_subject, lambda r, n: r.startswith("Re: re")),
    ]


CASES: list[Case] = _cases()
