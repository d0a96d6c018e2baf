"""One malformed header stops nothing: check, review and the watcher go on
with the other patches and report the bad message by its position.

Each form is put into patch 1/4 of the seed series (its findings are in
kvm_asm.h; patch 3/4 has findings in hyp-entry.S).  A form the mail reader
refuses makes that message a reported problem; a form it can read safely
(group syntax, an odd but harmless Message-ID) is checked like any other."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_cli
from reviewbot.bot import reply
from reviewbot.bot.lore import AtomEntry
from reviewbot.bot.state import StateStore
from reviewbot.bot.watcher import run_once
from reviewbot.config import Config, LoreConfig, WatchConfig, WatchQuery, load_config
from reviewbot.rules.loader import load_rules

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "examples" / "seed-series.mbox").read_bytes()
PATCH_1 = b"e1b5379dd42a9237113e37d130efa45946418f30.1511979651.git.ada@example.org"

# (header line, whether the message is refused, what the report says)
FORMS = [
    (b"To: <", True, "To: header cannot be read"),
    (b'Cc: "', True, "Cc: header cannot be read"),
    (b"Reply-To: a@b.c, <", True, "Reply-To: header cannot be read"),
    (b"Message-ID: <,x@y>", False, ""),
    (b"Message-ID: <a@b@c>", False, ""),
    (b"To: undisclosed-recipients:;", False, ""),
    (b"To: unlisted-recipients:; (no To-header on input)", False, ""),  # sendmail's, without To:
    ("To: \uff1ca@b.c\uff1e".encode(), False, ""),  # fullwidth angle brackets
    ("Cc: Marc \uff1cmarc@example.org\uff1e".encode(), False, ""),
    (b"Message-ID: =?utf-8?q?<a=0D=0AX-Injected:_yes@example.org>?=", True, "line break or control character"),
    (b"Message-ID: <a\x00b@example.org>", True, "line break or control character"),
    (b"Message-ID: <" + b"x" * 5000 + b"@example.org>", True, "5,012 characters long"),
]
IDS = [re.sub(r"\W+", "_", form[:40].decode("utf-8", "replace")) for form, _, _ in FORMS]


def hostile_mbox(form: bytes) -> bytes:
    """The seed series with ``form`` in patch 1/4 (replacing its Message-ID
    when the form is one)."""
    old = b"Message-Id: <" + PATCH_1 + b">\n"
    assert old in SEED
    if form.lower().startswith(b"message-id:"):
        return SEED.replace(old, form + b"\n")
    return SEED.replace(old, old + form + b"\n")


@pytest.mark.parametrize("form,refused,problem", FORMS, ids=IDS)
def test_check_checks_the_other_patches_and_reports_the_bad_one(tmp_path, capsys, form, refused, problem):
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(hostile_mbox(form))
    code, out, err = run_cli(capsys, "check", "--no-tree", str(mbox))
    assert code == 1  # the errors of patch 3/4 still block
    assert "hyp-entry.S:29: error:" in out
    if refused:
        assert "kvm_asm.h" not in out
        assert f"reviewbot: error: {mbox}#2: " in err and problem in err
    else:
        assert "kvm_asm.h:31: error:" in out and "error" not in err


@pytest.mark.parametrize("form,refused,problem", FORMS, ids=IDS)
def test_review_writes_the_other_replies(tmp_path, capsys, form, refused, problem):
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(hostile_mbox(form))
    outbox = tmp_path / "outbox.mbox"
    code, out, err = run_cli(capsys, "review", "--format", "json", "--outbox", str(outbox),
                             "--db", str(tmp_path / "outbox.sqlite"), str(mbox))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["internal_errors"] == []
    written = outbox.read_bytes()
    assert b"In-Reply-To: <37eb467b3d9290bff022b8097f09efea54c91d52" in written
    if refused:
        assert summary["replies"]["written"] == 1
        assert [m["source"] for m in summary["malformed"]] == [f"{mbox}#2"]
        assert problem in summary["malformed"][0]["problem"]
    else:
        assert summary["replies"]["written"] == 2 and summary["malformed"] == []
    for line in written.split(b"\n"):
        assert len(line) <= 998 and b"\r" not in line and b"X-Injected" not in line


class Lore:
    """A lore that has one thread: the hostile series."""

    def __init__(self, mbox: bytes) -> None:
        self.mbox = mbox
        self.threads: list[str] = []

    def search(self, inbox, query, *, since=None):
        return [AtomEntry(msgid, "", None, "", "") for msgid in
                (PATCH_1.decode(), "37eb467b3d9290bff022b8097f09efea54c91d52.1511979651.git.ada@example.org")]

    def thread_mbox(self, inbox, msgid):
        self.threads.append(msgid)
        return self.mbox


class ComposingOutbox:
    """Composes every reply it is handed, as the real outbox does."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.replies: list = []

    def queue(self, review, patches) -> int:
        for patch_review in patches:
            msg = reply.compose(patch_review, review.series, self.config.bot, rules_version="t",
                                date="Wed, 29 Nov 2017 18:20:52 +0000")
            if msg is not None:
                self.replies.append(msg.as_bytes())
        return len(self.replies)


@pytest.fixture(scope="module")
def rules():
    return load_rules(load_config(packaged=True))


@pytest.mark.parametrize("form,refused,problem", FORMS, ids=IDS)
def test_the_watcher_skips_the_message_and_the_next_poll_does_not_fail(rules, form, refused, problem, caplog):
    base = load_config(packaged=True)
    config = Config(rules=base.rules, context=base.context, bot=base.bot,
                    watch=WatchConfig(queries=(WatchQuery("kvmarm", "dfn:arch/arm64/kvm/hyp"),),
                                      series_timeout=3600, initial_lookback=10 ** 10),
                    lore=LoreConfig(base_url="http://127.0.0.1:9"))
    lore = Lore(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + hostile_mbox(form).split(b"\n", 1)[1])
    store = StateStore(":memory:")
    outbox = ComposingOutbox(config)
    first = run_once(lore, store, rules, config, outbox, now=1_700_000_000.0)
    reviewed = [o for o in first if o.action == "reviewed"]
    assert len(reviewed) == 1 and not [o for o in first if o.action in ("failed", "error")]
    assert len(outbox.replies) == (1 if refused else 2)
    if refused:
        assert problem in caplog.text
    replies = len(outbox.replies)
    for later in (600.0, 1200.0):  # (a series missing a refused patch is read for late parts a while)
        again = run_once(lore, store, rules, config, outbox, now=1_700_000_000.0 + later)
        assert not [o for o in again if o.action in ("failed", "error", "reviewed")]
    assert len(outbox.replies) == replies


def test_an_empty_group_alone_names_no_address():
    """sendmail's To: for mail sent without one; the header registry fails on it."""
    from reviewbot.mail.parse import parse_message

    raw = (b"From: Ada <ada@example.org>\nTo: unlisted-recipients:; (no To-header on input)\n"
           b"Cc: Will <will@example.org>\nSubject: [PATCH] x\nMessage-ID: <1@example.org>\n\nbody\n")
    message = parse_message(raw, source="m#1")
    assert message.to == () and message.cc == ("Will <will@example.org>",)
