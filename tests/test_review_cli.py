"""``reviewbot review``: inputs, summary, outbox, exit status, and sending
through a real SMTP server on loopback, including a run killed between
recording and sending.

Most tests replace the engine with a tiny fake (a finding on every added
``msr xN, <sysreg>`` line) so that they test the command, not the rule
pack; one runs the real engine on ``examples/``.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reviewbot import cli
from reviewbot.model import Confidence, Finding, PatchReview, SeriesReview, Severity

from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
KVMARM = "kvmarm@lists.cs.columbia.edu"
_BAD_MSR = re.compile(r"^\s*msr\s+([xw]\d+|\\\w+),\s*(\w+_el\d)")


# --- inputs written here -----------------------------------------------------------------


def message(subject: str, msgid: str, body: str, *, reply_to: str | None = None,
            sender: str = "Ada Author <ada@example.org>", date: str = "Wed, 29 Nov 2017 18:20:52 +0000") -> str:
    threading = f"In-Reply-To: <{reply_to}>\nReferences: <{reply_to}>\n" if reply_to else ""
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"Message-Id: <{msgid}>\n{threading}From: {sender}\nDate: {date}\n"
            f"Subject: {subject}\nTo: {KVMARM}\nCc: Marc Reviewer <marc@example.org>\n\n{body}\n")


def patch_body(added: list[str], path: str = "arch/arm64/kvm/hyp/entry.S") -> str:
    lines = "".join(f"+{line}\n" for line in added)
    return (f"A change.\n\nSigned-off-by: Ada Author <ada@example.org>\n---\n"
            f" {path} | {len(added)} +\n\n"
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -10,2 +10,{2 + len(added)} @@ ENTRY(__guest_enter)\n"
            f" \tsave_callee_saved_regs x1\n{lines} \tret\n-- \n2.39.5\n")


def series(version: int = 1, *, bad: bool = True, tag: str = "s", sysreg: str = "tpidr_el2") -> str:
    v = f" v{version}" if version > 1 else ""
    cover = f"{tag}.v{version}.0@example.org"
    return "".join([
        message(f"[PATCH{v} 0/2] KVM: arm64: Example series", cover, "The cover letter.\n"),
        message(f"[PATCH{v} 1/2] KVM: arm64: Bad msr", f"{tag}.v{version}.1@example.org",
                patch_body([f"\tmsr\tx1, {sysreg}" if bad else f"\tmrs\tx1, {sysreg}",
                            "\tadd\tx0, x0, x1"]), reply_to=cover),
        message(f"[PATCH{v} 2/2] KVM: arm64: Clean", f"{tag}.v{version}.2@example.org",
                patch_body(["\tmrs\tx2, esr_el2"]), reply_to=cover),
    ])


def fake_review(series_, rules, config, tree=None):
    """One finding per added line that writes a system register the wrong way round."""
    reviews = []
    for patch in series_.patches:
        findings = []
        for change in patch.files:
            for hunk in change.hunks:
                for line in hunk.lines:
                    match = _BAD_MSR.match(line.text)
                    if line.added and match:
                        findings.append(Finding(
                            rule_id="fake.msr-order", severity=Severity.ERROR, confidence=Confidence.HIGH,
                            message=f"msr writes {match.group(2)}; mrs {match.group(1)}, "
                                    f"{match.group(2)} was meant.",
                            path=change.path, line=line.new_line, mail_line=line.mail_line,
                            snippet=line.text, fix=f"mrs\t{match.group(1)}, {match.group(2)}",
                            fingerprint=hashlib.sha256(line.text.encode()).hexdigest()[:16],
                            msgid=patch.message.msgid))
        reviews.append(PatchReview(patch=patch, findings=tuple(findings)))
    return SeriesReview(series=series_, patches=tuple(reviews))


class FakeRules:
    """A rule set of no rule (what a RuleSet is to the commands: iterable, versioned)."""

    version = "fake-rules-1"

    def __iter__(self):
        return iter(())


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch):
    import reviewbot.engine
    import reviewbot.rules.loader
    monkeypatch.setattr(reviewbot.engine, "review", fake_review)
    monkeypatch.setattr(reviewbot.rules.loader, "load_rules", lambda config, **kw: FakeRules())
    return fake_review


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the default outbox goes there
    return tmp_path


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def smtp_yaml(work: Path, server: SmtpServer, **extra) -> str:
    config = {"smtp": {"host": server.host, "port": server.port, "timeout": 5,
                       "opt-in-lists": [KVMARM], **extra}}
    return write(work / "bot.yaml", json.dumps(config))


def review(*argv: str) -> int:
    return cli.main(["review", *argv])


# --- the main job ----------------------------------------------------------------------------


SUMMARY = """\
messages: 3 (1 cover letter, 0 replies, 0 other, not reviewed)
series: 1 (v1: 1)
  v1 2/2 patches: [PATCH 0/2] KVM: arm64: Example series
patches: 2 reviewed, 1 with findings
findings: 1
  fake.msr-order  1
replies: 1 written to {state}/outbox, 0 already recorded
outbox: 1 pending, 0 sent, 0 failed ({state}/outbox.sqlite)
malformed messages: 0
"""


def test_review_writes_replies_to_the_outbox(work: Path, fake_engine, capsys) -> None:
    mbox = write(work / "s.mbox", series())
    assert review(mbox) == 0
    out, err = capsys.readouterr()
    assert out == SUMMARY.format(state=work / "state/reviewbot")
    assert err == ""  # no progress when stderr is not a terminal
    box = mailbox.Maildir(str(work / "state/reviewbot/outbox"), create=False)
    [reply] = list(box)
    assert reply["Subject"] == "Re: [PATCH 1/2] KVM: arm64: Bad msr"
    assert reply["In-Reply-To"] == "<s.v1.1@example.org>"
    body = reply.get_payload()
    assert "> +\tmsr\tx1, tpidr_el2\n\nmsr writes tpidr_el2;" in body
    assert "[fake.msr-order, error]" in body and "rule set fake-rules-1" in body


def test_a_second_run_writes_nothing_new(work: Path, fake_engine, capsys) -> None:
    mbox = write(work / "s.mbox", series())
    review(mbox)
    capsys.readouterr()
    assert review(mbox) == 0
    out = capsys.readouterr().out
    assert f"replies: 0 written to {work}/state/reviewbot/outbox, 1 already recorded" in out
    assert "(the same patch and findings, or a revision's unchanged ones, are replied to once per database" in out
    assert len(mailbox.Maildir(str(work / "state/reviewbot/outbox"), create=False)) == 1


def test_revisions_are_told_apart_and_unchanged_findings_not_repeated(work: Path, fake_engine, capsys) -> None:
    mbox = write(work / "s.mbox", series(1) + series(2) + series(3, bad=False))
    assert review(mbox, "--format", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(s["version"], s["patches"]) for s in summary["series"]] == [(1, 2), (2, 2), (3, 2)]
    assert summary["patches"] == 6 and summary["cover_letters"] == 3
    assert summary["findings"] == {"fake.msr-order": 2}  # v1 and v2; v3 fixed it
    # v2 has the same finding as v1: one reply only
    assert summary["replies"] == {"written": 1, "duplicate": 1, "none": 4}
    assert [s["replies"] for s in summary["series"]] == [1, 0, 0]


def test_replies_and_the_bots_own_mail_are_not_reviewed(work: Path, fake_engine, capsys) -> None:
    text = series() + message("Re: [PATCH 1/2] KVM: arm64: Bad msr", "r1@example.org",
                              "> +\tmsr\tx1, tpidr_el2\n\nIndeed.\n", reply_to="s.v1.1@example.org")
    text += message("[PATCH] KVM: arm64: A patch the bot sent", "bot.1@example.org",
                    patch_body(["\tmsr\tx3, tpidr_el2"]), sender="reviewbot <reviewbot@localhost>")
    mbox = write(work / "s.mbox", text)
    assert review(mbox, "--format", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["replies_in_input"] == 1
    assert summary["findings"] == {"fake.msr-order": 2}
    assert summary["replies"]["written"] == 1  # not to the bot's own patch


def test_malformed_messages_are_reported_and_skipped(work: Path, fake_engine, capsys, caplog) -> None:
    lying = message("[PATCH] KVM: arm64: Counts that lie", "lies@example.org",
                    patch_body(["\tmsr\tx1, tpidr_el2"]).replace("+10,3 @@", "+10,9 @@"))
    garbage = "From nobody Mon Sep 17 00:00:00 2001\nthis is not a mail\n\n"
    mbox = write(work / "s.mbox", garbage + lying + series())
    assert review(mbox) == 0
    out = capsys.readouterr().out
    err = caplog.text  # the log lines that go to stderr
    assert "malformed messages: 2 (listed on stderr)" in out
    assert "replies: 1 written" in out
    assert re.search(r"skipped .*s\.mbox#1 \(no Message-ID\): not a mail message", err)
    assert re.search(r"skipped .*s\.mbox#2 <lies@example.org>: hunk .* shorter than its header", err)


def test_inputs_maildir_single_message_and_stdin(work: Path, fake_engine, capsys,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    maildir = mailbox.Maildir(str(work / "in"), create=True)
    for chunk in re.split(r"(?m)^(?=From 0{40} )", series(tag="md"))[1:]:
        maildir.add(chunk.split("\n", 1)[1].encode())
    assert review(str(work / "in"), "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["replies"]["written"] == 1

    single = write(work / "one.eml", message("[PATCH] KVM: arm64: One", "one@example.org",
                                             patch_body(["\tmsr\tx4, tpidr_el2"])).split("\n", 1)[1])
    assert review(single, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["replies"]["written"] == 1

    class Stdin:
        buffer = __import__("io").BytesIO(series(tag="stdin", sysreg="vbar_el2").encode())

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert review("--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["replies"]["written"] == 1


def test_unreadable_input_is_exit_2(work: Path, fake_engine, capsys) -> None:
    assert review(str(work / "missing.mbox")) == 2
    assert "missing.mbox: no such file" in capsys.readouterr().err
    empty = write(work / "empty.mbox", "")
    assert review(empty) == 2
    assert "no readable message" in capsys.readouterr().err


def test_text_that_is_neither_mail_nor_a_patch_is_exit_2(work: Path, fake_engine, capsys, caplog) -> None:
    notes = write(work / "notes.txt", "hello\nthis is not mail\n")
    assert review(notes) == 2
    assert "notes.txt: no readable message in the input" in capsys.readouterr().err
    assert "notes.txt (no Message-ID): not a mail message (no header block) and no patch in it" in caplog.text
    # a bare diff, headers or none, is still a patch to review
    bare = write(work / "bare.diff", patch_body(["\tmsr\tx4, tpidr_el2"]))
    assert review(bare, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["patches"] == 1


def test_an_empty_maildir_is_nothing_to_do(work: Path, fake_engine, capsys) -> None:
    mailbox.Maildir(str(work / "in"), create=True)  # what a delivery that brought nothing leaves
    assert review(str(work / "in")) == 0
    captured = capsys.readouterr()
    assert "in: no message in it; nothing to review" in captured.err
    assert "messages: 0" in captured.out


def test_an_internal_failure_mails_nothing_for_that_series(work: Path, fake_engine, capsys, caplog,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewbot.engine

    def crash_on_v2(series_, rules, config, tree=None):
        if series_.version == 2:
            raise RuntimeError("boom")
        return fake_review(series_, rules, config)

    monkeypatch.setattr(reviewbot.engine, "review", crash_on_v2)
    mbox = write(work / "s.mbox", series(1, tag="a") + series(2, tag="b"))
    assert review(mbox, "--format", "json") == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["replies"]["written"] == 1 and len(summary["internal_errors"]) == 1
    assert "failed: RuntimeError: boom" in caplog.text


def test_fail_on(work: Path, fake_engine, capsys) -> None:
    mbox = write(work / "s.mbox", series())
    assert review(mbox, "--fail-on", "error", "--db", "a.sqlite", "--outbox", "a.mbox") == 1
    clean = write(work / "c.mbox", series(bad=False))
    # (a second database needs its own outbox: a new database beside a full outbox is refused)
    assert review(clean, "--fail-on", "info", "--db", "b.sqlite", "--outbox", "b.mbox") == 0


def test_progress_is_shown_when_asked(work: Path, fake_engine, capsys) -> None:
    mbox = write(work / "s.mbox", series(1, tag="a") + series(2, tag="b"))
    review(mbox, "--progress", "always", "--outbox", "o.mbox")
    err = capsys.readouterr().err
    assert "reviewbot: reading" in err and "\r\x1b[K" in err
    assert mailbox.mbox(str(work / "o.mbox"))


def test_help_explains_the_exit_status(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser(["review", "--help"]).parse_args(["review", "--help"])
    out = capsys.readouterr().out
    assert "--send" in out and "Exit status: 0 done; 1 with --send" in out


# --- sending ---------------------------------------------------------------------------------


def test_send_delivers_to_the_opted_in_list(work: Path, fake_engine, smtp_server: SmtpServer, capsys) -> None:
    mbox = write(work / "s.mbox", series())
    assert review(mbox, "--send", "--config", smtp_yaml(work, smtp_server)) == 0
    out = capsys.readouterr().out
    assert "sent: 1, still pending: 0, failed: 0" in out
    assert "outbox: 0 pending, 1 sent, 0 failed" in out
    [got] = smtp_server.received
    assert sorted(got.rcpt_tos) == sorted(["ada@example.org", KVMARM, "marc@example.org"])
    assert got.message["Subject"] == "Re: [PATCH 1/2] KVM: arm64: Bad msr"
    assert review(mbox, "--send", "--config", smtp_yaml(work, smtp_server)) == 0
    assert len(smtp_server.received) == 1


def test_send_alone_sends_what_the_outbox_holds(work: Path, fake_engine, smtp_server: SmtpServer, capsys) -> None:
    review(write(work / "s.mbox", series()))
    assert smtp_server.received == []
    assert review("--send", "--config", smtp_yaml(work, smtp_server)) == 0
    assert len(smtp_server.received) == 1


def test_a_server_that_is_gone_is_exit_1_and_pending(work: Path, fake_engine, smtp_server: SmtpServer,
                                                     capsys) -> None:
    config = smtp_yaml(work, smtp_server)
    smtp_server.stop()
    assert review(write(work / "s.mbox", series()), "--send", "--config", config) == 1
    out = capsys.readouterr().out
    assert "still pending: 1" in out and "outbox: 1 pending" in out


def test_a_refusing_server_is_exit_1_and_pending(work: Path, fake_engine, smtp_server: SmtpServer,
                                                 capsys) -> None:
    smtp_server.handler.refuse_data = "554 5.7.1 rejected"
    assert review(write(work / "s.mbox", series()), "--send", "--config",
                  smtp_yaml(work, smtp_server), "--format", "json") == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["send"]["still_pending"] == 1 and "554" in summary["send"]["errors"][0]
    assert summary["outbox"]["states"]["pending"] == 1


KILLER = textwrap.dedent("""\
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import reviewbot.bot.smtp as smtp_send
    def die(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # recorded as pending, not yet handed to SMTP
    smtp_send.SmtpSession.deliver = die
    from reviewbot import cli
    sys.exit(cli.main(sys.argv[1:]))
""")


def test_killed_between_recording_and_sending_delivers_exactly_once(
        work: Path, smtp_server: SmtpServer) -> None:
    mbox = write(work / "seed.mbox", (ROOT / "examples" / "seed-series.mbox").read_text()
                 if (ROOT / "examples" / "seed-series.mbox").exists() else series())
    config = smtp_yaml(work, smtp_server)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = ["review", mbox, "--send", "--config", config, "--format", "json"]
    killed = subprocess.run([sys.executable, "-c", KILLER.format(root=str(ROOT)), *argv],
                            cwd=work, env=env, capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert smtp_server.received == []
    first = subprocess.run([sys.executable, "-m", "reviewbot", *argv], cwd=work, env=env,
                           capture_output=True, timeout=60)
    assert first.returncode == 0, first.stderr.decode()
    summary = json.loads(first.stdout)
    written = summary["outbox"]["states"]["sent"]
    assert summary["replies"]["written"] == 0  # composed once, by the killed run
    assert written >= 1 and summary["send"]["sent"] == written
    again = subprocess.run([sys.executable, "-m", "reviewbot", "review", "--send", "--config", config],
                           cwd=work, env=env, capture_output=True, timeout=60)
    assert again.returncode == 0
    assert len(smtp_server.received) == written
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(set(ids)) == len(ids)


# --- the real engine -------------------------------------------------------------------------


@pytest.mark.skipif(not (ROOT / "examples" / "seed-series.mbox").exists(), reason="no examples yet")
def test_real_engine_on_the_example_series(work: Path, capsys) -> None:
    assert review(str(ROOT / "examples" / "seed-series.mbox"), "--format", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["patches"] == 4 and summary["cover_letters"] == 1 and summary["malformed"] == []
    assert summary["replies"]["written"] == summary["patches_with_findings"] >= 1
    replies = list(mailbox.Maildir(str(work / "state/reviewbot/outbox"), create=False))
    assert len(replies) == summary["replies"]["written"]
    for reply in replies:
        assert reply["Subject"].startswith("Re: [PATCH ")
        assert "\n-- \nThis review was written by reviewbot, an automated rules-based checker" in reply.get_payload()
