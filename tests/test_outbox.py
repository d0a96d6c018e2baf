"""The transactional outbox against a real SMTP server on loopback (aiosmtpd):
recorded before sent, sent once, never twice, never to a list that did not
opt in, rate limited, and honest about what failed."""

from __future__ import annotations

from reviewbot import records
import email
import email.policy
import mailbox
import shutil
import smtplib
from pathlib import Path

import pytest

from reviewbot import mail
from reviewbot.config import BotConfig, SmtpConfig
from reviewbot.errors import ConfigError
from reviewbot.model import Confidence, Finding, PatchReview, SeriesReview, Severity
from reviewbot.bot.outbox import Outbox, OutboxError, ReplyQueue, send_pending
from reviewbot.bot.smtp import SmtpSession

from tests.smtp_server import SmtpServer, self_signed_certificate

DATA = Path(__file__).parent / "data" / "replies"
BOT = BotConfig(email="reviewbot@bots.example", reports_to="maintainers@example.org")
KVMARM = "kvmarm@lists.cs.columbia.edu"
LAKML = "linux-arm-kernel@lists.infradead.org"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def series_review(*, fingerprints=("a",), msgid_suffix: str = "") -> SeriesReview:
    messages, _ = mail.parse_input((DATA / "seed-get-host-ctxt.mbox").read_bytes(), source="seed.mbox")
    series = mail.assemble_series(messages)[0][0]
    reviews = []
    for patch in series.patches:
        if msgid_suffix:
            patch = records.replace(patch, message=records.replace(
                patch.message, msgid=patch.message.msgid + msgid_suffix))
        findings = tuple(
            Finding(rule_id="arm64.sysreg.msr-mrs-operand-order", severity=Severity.ERROR,
                    confidence=Confidence.HIGH, message=f"msr where mrs was meant ({fp})",
                    path=patch.files[0].path, line=patch.files[0].hunks[0].new_start + 3,
                    fingerprint=f"{patch.message.msgid}-{fp}".replace(msgid_suffix or "\0", ""))
            for fp in fingerprints)
        reviews.append(PatchReview(patch=patch, findings=findings))
    return SeriesReview(series=series, patches=tuple(reviews))


def smtp_config(server: SmtpServer, **changes) -> SmtpConfig:
    base = dict(host=server.host, port=server.port, timeout=5.0, opt_in_lists=(KVMARM,),
                max_per_hour=10)
    base.update(changes)
    return SmtpConfig(**base)


@pytest.fixture
def box(tmp_path: Path):
    with Outbox(tmp_path / "outbox.sqlite", tmp_path / "outbox.mbox") as outbox:
        yield outbox


def queue_seed(outbox: Outbox, clock: Clock | None = None, **kwargs) -> ReplyQueue:
    queue = ReplyQueue(outbox, BOT, rules_version="r1", clock=clock or Clock())
    queue.queue(series_review(**kwargs))
    return queue


# --- recording ------------------------------------------------------------------------


def test_record_writes_pending_and_the_outbox_mbox(box: Outbox, tmp_path: Path) -> None:
    queue = queue_seed(box)
    assert [q.status for q in queue.results] == ["written", "written"]
    assert box.counts() == {"pending": 2, "sending": 0, "sent": 0, "failed": 0, "dismissed": 0}
    written = mailbox.mbox(str(tmp_path / "outbox.mbox"))
    subjects = sorted(str(m["Subject"]) for m in written)
    assert subjects == ["Re: [PATCH 1/2] KVM: arm64: Add get_host_ctxt macro",
                        "Re: [PATCH 2/2] KVM: arm64: Use get_host_ctxt in the hyp entry code"]
    stored = box.replies()[0]
    assert stored.lists == (KVMARM, LAKML)
    assert stored.sender == "reviewbot@bots.example"
    assert "christoffer.dall@linaro.org" in stored.recipients


def test_the_same_reply_is_never_composed_twice(box: Outbox, tmp_path: Path) -> None:
    queue_seed(box)
    again = queue_seed(box)
    assert [q.status for q in again.results] == ["duplicate", "duplicate"]
    assert "already recorded" in again.results[0].reason
    assert len(mailbox.mbox(str(tmp_path / "outbox.mbox"))) == 2
    # a new revision whose findings did not change: no reply either
    v2 = queue_seed(box, msgid_suffix=".v2")
    assert [q.status for q in v2.results] == ["duplicate", "duplicate"]
    assert "same findings" in v2.results[0].reason
    # a new revision with a new finding: a new reply
    v3 = queue_seed(box, fingerprints=("a", "b"), msgid_suffix=".v3")
    assert [q.status for q in v3.results] == ["written", "written"]


def test_maildir_outbox(tmp_path: Path) -> None:
    with Outbox(tmp_path / "db.sqlite", tmp_path / "Maildir") as outbox:
        queue_seed(outbox)
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=False)
    assert len(box) == 2


def test_a_crash_before_the_file_copy_is_mended(tmp_path: Path) -> None:
    with Outbox(tmp_path / "db.sqlite", None) as outbox:  # recorded, not copied
        queue_seed(outbox)
    with Outbox(tmp_path / "db.sqlite", tmp_path / "out.mbox") as outbox:
        assert outbox.flush_files() == 2
        assert outbox.flush_files() == 0
    assert len(mailbox.mbox(str(tmp_path / "out.mbox"))) == 2


def test_mboxrd_quoting(tmp_path: Path) -> None:
    from reviewbot.bot.outbox import append_mboxrd
    append_mboxrd(tmp_path / "x.mbox", b"Subject: a\n\nFrom here\n>From there\nok\n", 0)
    data = (tmp_path / "x.mbox").read_bytes()
    assert data.startswith(b"From reviewbot Thu Jan 01 00:00:00 1970\n")
    assert b"\n>From here\n>>From there\nok\n\n" in data


def test_schema_version_is_checked(tmp_path: Path) -> None:
    with Outbox(tmp_path / "db.sqlite", None) as outbox:
        outbox.db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(OutboxError, match="schema 99"):
        Outbox(tmp_path / "db.sqlite", None)


# --- sending --------------------------------------------------------------------------


def test_send_delivers_with_the_right_headers_and_body(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.sent) == 2 and report.ok
    assert box.counts()["sent"] == 2
    assert len(smtp_server.received) == 2
    got = smtp_server.received[0]
    assert got.mail_from == "reviewbot@bots.example"
    # the opted-in list and the people; not the list that did not opt in
    assert KVMARM in got.rcpt_tos and "christoffer.dall@linaro.org" in got.rcpt_tos
    assert "marc.zyngier@arm.com" in got.rcpt_tos and LAKML not in got.rcpt_tos
    assert b"\r\n" in got.data  # CRLF on the wire
    msg = email.message_from_bytes(got.data.replace(b"\r\n", b"\n"), policy=email.policy.default)
    stored = box.replies("sent")[0]
    assert msg["Message-ID"] == stored.reply_msgid
    assert msg["Subject"] == "Re: [PATCH 1/2] KVM: arm64: Add get_host_ctxt macro"
    assert msg["In-Reply-To"] == "<20171012104141.26902-2-christoffer.dall@linaro.org>"
    body = msg.get_content()
    assert "msr where mrs was meant (a)" in body and "\n-- \n" in body
    expected = email.message_from_bytes(stored.message, policy=email.policy.default).get_content()
    assert body == expected
    # and nothing goes twice
    again = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert again.sent == [] and len(smtp_server.received) == 2


def test_only_opted_in_lists_get_replies(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    report = send_pending(box, smtp_config(smtp_server, opt_in_lists=()), env={}, clock=Clock())
    assert len(report.held) == 2 and report.ok
    assert smtp_server.received == []
    assert box.counts()["pending"] == 2


def test_rate_limit_per_list_per_hour(box: Outbox, smtp_server: SmtpServer) -> None:
    clock = Clock()
    queue_seed(box, clock)
    config = smtp_config(smtp_server, max_per_hour=1)
    first = send_pending(box, config, env={}, clock=clock)
    assert (len(first.sent), len(first.deferred)) == (1, 1) and first.ok
    clock.now += 1800
    assert send_pending(box, config, env={}, clock=clock).deferred
    clock.now += 1801
    assert len(send_pending(box, config, env={}, clock=clock).sent) == 1
    assert len(smtp_server.received) == 2


def test_a_crash_before_the_hand_off_sends_exactly_once(box: Outbox, smtp_server: SmtpServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    queue_seed(box)

    def crash(self, *args, **kwargs):
        raise KeyboardInterrupt  # the process dies between recording and sending

    with monkeypatch.context() as patch:
        patch.setattr(SmtpSession, "deliver", crash)
        with pytest.raises(KeyboardInterrupt):
            send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert box.counts()["pending"] == 2 and smtp_server.received == []
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.sent) == 2
    send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(smtp_server.received) == 2
    assert len({r.message["Message-ID"] for r in smtp_server.received}) == 2


def test_a_crash_during_the_hand_off_is_never_resent(box: Outbox, smtp_server: SmtpServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    queue_seed(box)
    real_send = smtplib.SMTP.send

    def send_then_die(self, data):
        if data == b".\r\n":  # the end of DATA, sent on its own after the message
            real_send(self, data)  # the whole message is on the wire...
            raise SystemExit(137)  # ...and the process is killed before the answer
        return real_send(self, data)

    with monkeypatch.context() as patch:
        patch.setattr(smtplib.SMTP, "send", send_then_die)
        with pytest.raises(SystemExit):
            send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert box.counts()["sending"] == 1
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.swept) == 1 and not report.ok
    assert len(report.sent) == 1  # the other one, which never left
    states = box.counts()
    assert (states["failed"], states["sent"]) == (1, 1)
    assert "delivery unknown" in box.replies("failed")[0].error
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(ids) == len(set(ids)) == 2  # the server got each once
    # ...and the ambiguous one stays visible, run after run, until a person decides
    later = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert later.ambiguous == [box.replies("failed")[0].key] and not later.ok


def test_lost_answer_after_hand_off_is_failed_not_retried(box: Outbox, smtp_server: SmtpServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    queue_seed(box)
    real_getreply = smtplib.SMTP.getreply
    calls = {"data": False}

    def getreply(self):
        if calls["data"]:
            calls["data"] = False
            real_getreply(self)
            raise smtplib.SMTPServerDisconnected("connection reset")
        return real_getreply(self)

    real_send = smtplib.SMTP.send

    def send(self, data):
        calls["data"] = data == b".\r\n"  # the end of DATA, sent on its own after the message
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "getreply", getreply)
    monkeypatch.setattr(smtplib.SMTP, "send", send)
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.failed) == 1 and not report.ok
    assert box.counts()["failed"] == 1 and box.counts()["pending"] == 1
    monkeypatch.undo()
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.sent) == 1
    assert len(smtp_server.received) == 2  # the uncertain one was not sent again


def test_a_refusing_server_leaves_replies_pending(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    smtp_server.handler.refuse_data = "550 5.7.1 no bots here"
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.retry) == 2 and not report.ok
    assert "550" in report.errors[0]
    assert box.counts()["pending"] == 2
    assert "550 5.7.1 no bots here" in box.replies("pending")[0].error
    smtp_server.handler.refuse_data = None
    assert len(send_pending(box, smtp_config(smtp_server), env={}, clock=Clock()).sent) == 2
    assert len(smtp_server.received) == 2


def test_a_server_that_is_gone_leaves_replies_pending(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    smtp_server.stop()
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert len(report.retry) == 2 and not report.ok
    assert "ConnectionRefused" in report.errors[0]
    assert box.counts()["pending"] == 2


def test_a_server_that_goes_away_midway(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    smtp_server.handler.drop_on_mail_after = 1
    report = send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert (len(report.sent), len(report.retry)) == (1, 1)
    assert box.counts()["pending"] == 1
    smtp_server.handler.drop_on_mail_after = None
    assert len(send_pending(box, smtp_config(smtp_server), env={}, clock=Clock()).sent) == 1
    assert len(smtp_server.received) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_credentials_from_the_environment(box: Outbox, smtp_server_auth: SmtpServer) -> None:
    queue_seed(box)
    config = smtp_config(smtp_server_auth, user_env="RB_USER", password_env="RB_PASS",
                         allow_plaintext_auth=True)  # loopback; a login without TLS must be allowed
    refused = send_pending(box, config, env={"RB_USER": "bot", "RB_PASS": "wrong"}, clock=Clock())
    assert len(refused.retry) == 2 and "login refused" in refused.errors[0]
    report = send_pending(box, config, env={"RB_USER": "bot", "RB_PASS": "s3cret"}, clock=Clock())
    assert len(report.sent) == 2
    with pytest.raises(ConfigError, match="RB_PASS"):
        SmtpSession(config, {"RB_USER": "bot"}).connect()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls(security: str, box: Outbox, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # trust it, as a CA would be
    server = SmtpServer(security=security, certificate=certificate)
    try:
        queue_seed(box)
        report = send_pending(box, smtp_config(server, security=security), env={}, clock=Clock())
        assert len(report.sent) == 2 and len(server.received) == 2
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(box: Outbox, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    server = SmtpServer(security="starttls", certificate=self_signed_certificate(tmp_path))
    try:
        queue_seed(box)
        report = send_pending(box, smtp_config(server, security="starttls"), env={}, clock=Clock())
        assert len(report.retry) == 2 and "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
        assert server.received == []
    finally:
        server.stop()


def test_bad_security_setting() -> None:
    with pytest.raises(ConfigError, match="starttls"):
        SmtpSession(SmtpConfig(security="ssl"), {})


def test_one_sender_at_a_time(box: Outbox, smtp_server: SmtpServer) -> None:
    queue_seed(box)
    with box.send_lock():
        with pytest.raises(OutboxError, match="another reviewbot"):
            send_pending(box, smtp_config(smtp_server), env={}, clock=Clock())
    assert smtp_server.received == []
