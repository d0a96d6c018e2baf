"""reply.compose: golden replies and the etiquette they must follow.

Golden cases are ``tests/data/replies/<case>.mbox`` (the mail of a series),
``<case>.findings.yaml`` (the findings the composer is given, written by
hand so the golden depends on reply.py alone) and ``<case>.eml`` (the
expected reply, byte for byte).  ``REVIEWBOT_UPDATE_GOLDEN=1`` rewrites the
``.eml`` files from what the composer now writes.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from pathlib import Path

import pytest
import yaml

from reviewbot import mail

from reviewbot.bot import reply
from reviewbot.config import BotConfig
from reviewbot.model import Confidence, Finding, PatchReview, Series, Severity, TraceStep

DATA = Path(__file__).parent / "data" / "replies"
CASES = sorted(p.stem for p in DATA.glob("*.findings.yaml"))
CASES = [c.removesuffix(".findings") for c in CASES]
UPDATE = os.environ.get("REVIEWBOT_UPDATE_GOLDEN") == "1"
BOT = BotConfig(name="reviewbot", email="reviewbot@localhost",
                reports_to="reviewbot-maintainers@example.org")
B4_TRAILER = re.compile(r"^\s*(\w\S+):\s+(\S.*)")


def load_series(path: Path) -> list[Series]:
    messages, errors = mail.parse_input(path.read_bytes(), source=path.name)
    assert not errors
    series, broken = mail.assemble_series(messages)
    assert not broken
    return series


def finding(spec: dict) -> Finding:
    spec = dict(spec)
    trace = tuple(TraceStep(role, line, text) for role, line, text in spec.pop("trace", ()))
    return Finding(severity=Severity.parse(spec.pop("severity")),
                   confidence=Confidence.parse(spec.pop("confidence", "medium")),
                   trace=trace, **spec)


def case_inputs(case: str) -> tuple[PatchReview, Series, dict]:
    spec = yaml.safe_load((DATA / f"{case}.findings.yaml").read_text())
    for series in load_series(DATA / f"{case}.mbox"):
        for patch in series.patches:
            if patch.message.msgid == spec["patch"]:
                review = PatchReview(patch=patch, findings=tuple(map(finding, spec["findings"])))
                return review, series, spec
    raise AssertionError(f"{case}: no patch {spec['patch']}")


def compose_case(case: str) -> bytes:
    review, series, spec = case_inputs(case)
    message = reply.compose(review, series, BOT, rules_version=spec["rules-version"], date=spec["date"])
    assert message is not None
    return message.as_bytes()


@pytest.mark.parametrize("case", CASES)
def test_golden_reply(case: str) -> None:
    got = compose_case(case)
    golden = DATA / f"{case}.eml"
    if UPDATE or not golden.exists():
        golden.write_bytes(got)
        if not UPDATE:
            pytest.fail(f"{golden} did not exist; written, check it and commit it")
    assert got.decode("utf-8") == golden.read_text(encoding="utf-8")


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("case", CASES)
def test_reply_etiquette(case: str) -> None:
    review, series, spec = case_inputs(case)
    raw = compose_case(case)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    original = review.patch.message
    assert msg["Subject"] == f"Re: {original.subject}"
    assert msg["In-Reply-To"] == f"<{original.msgid}>"
    refs = msg["References"].split()
    assert refs[-1] == f"<{original.msgid}>"
    assert refs[:-1] == [f"<{r}>" for r in original.references] or original.references == ()
    assert msg["Message-ID"].startswith("<") and "@localhost>" in msg["Message-ID"]
    assert msg["Date"]
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert not msg.is_multipart()
    addresses = [a.lower() for _, a in email.utils.getaddresses(
        [str(msg["To"] or ""), str(msg["Cc"] or "")])]
    assert "reviewbot@localhost" not in addresses
    assert len(addresses) == len(set(addresses)), addresses
    body = msg.get_content()
    text, _, signature = body.partition("\n-- \n")
    assert signature, "a '-- ' footer"
    assert "bot" in signature and spec["rules-version"] in signature
    assert "False positive" in signature
    lines = text.split("\n")
    assert re.match(r"^On .*, .* wrote:$", lines[0])
    for line in lines:
        assert not B4_TRAILER.match(line), f"b4 would take this for a trailer: {line!r}"
        if not line.startswith(">"):
            assert len(line) < 80, f"not wrapped: {line!r}"
    # every quoted diff line is exactly a line of the patch
    body_lines = set(original.body.split("\n"))
    for line in lines:
        if line.startswith("> ") and line != "> [...]":
            assert line[2:] in body_lines, line
    # each mailed finding: its rule id, and its comment right under its line
    for f in reply.mailable(review.findings, BOT):
        assert f"[{f.rule_id}, {f.severity.label}]" in text
    assert "never mailed" not in text


def test_seed_reply_reads_like_a_review() -> None:
    text = compose_case("seed-get-host-ctxt").decode()
    head, _, body = text.partition("\n\n")
    assert "To: Christoffer Dall <christoffer.dall@linaro.org>\n" in head
    assert ("Cc: kvmarm@lists.cs.columbia.edu, Marc Zyngier <marc.zyngier@arm.com>,\n"
            " linux-arm-kernel@lists.infradead.org\n") in head
    assert "References: <20171012104141.26902-1-christoffer.dall@linaro.org>\n" \
           " <20171012104141.26902-2-christoffer.dall@linaro.org>\n" in head
    assert "X-Patchwork-Hint: ignore\n" in head
    # the comment sits right under the msr line, with one blank line between
    assert "> +\tmsr\t\\tmp, tpidr_el2\n\nmsr writes a system register" in body
    # the dataflow evidence names both ends
    words = " ".join(body.split())  # the evidence in plain words, not matcher roles
    assert "comes from, line 80: ldr \\reg, =kvm_host_cpu_state" in words
    assert "passes through, line 82: add \\reg, \\reg, \\tmp" in words
    # lines that were cut are marked
    assert "> [...]\n" in body


def test_quoted_printable_non_ascii_reply_to() -> None:
    text = compose_case("removed-kva-two-files").decode()
    head, _, body = text.partition("\n\n")
    assert "To: Joerg Roedel <jroedel@suse.example>\n" in head
    # Reply-To is To, so it is not in Cc again; maz@ once, whatever its case
    assert head.count("jroedel@suse.example") == 1
    assert head.lower().count("maz@kernel.org") == 1
    assert "| Fixes: nothing;" in body
    # the removed kern_hyp_va is quoted as it was, and the attribution is decoded
    assert "> -\tkern_hyp_va\tx0\n" in body
    assert re.match(r"On Tue, 0?3 Mar 2020 09:15:00 \+0100, Jörg Rödel wrote:\n", body)
    assert "Content-Transfer-Encoding: 8bit" in head


def _review(findings: tuple[Finding, ...], **message_changes) -> tuple[PatchReview, Series]:
    series = load_series(DATA / "seed-get-host-ctxt.mbox")[0]
    patch = series.patches[0]
    if message_changes:
        from reviewbot import records
        patch = records.replace(patch, message=records.replace(patch.message, **message_changes))
    return PatchReview(patch=patch, findings=findings), series


def _finding(**changes) -> Finding:
    base = dict(rule_id="r.x", severity=Severity.ERROR, confidence=Confidence.HIGH, message="m",
                path="arch/arm64/include/asm/kvm_asm.h", line=81, fingerprint="fp")
    base.update(changes)
    return Finding(**base)


@pytest.mark.parametrize("findings, changes", [
    ((), {}),
    ((_finding(suppressed="reviewbot-ignore"),), {}),
    ((_finding(severity=Severity.INFO),), {}),
    ((_finding(confidence=Confidence.LOW),), {}),
    ((_finding(),), {"sender": "Review Bot <ReviewBot@LOCALHOST>"}),
    ((_finding(),), {"headers": (("X-Reviewbot-Key", "abc"),)}),
    ((_finding(),), {"msgid": None}),
], ids=["no-findings", "suppressed", "info", "low-confidence", "own-address", "own-header", "no-msgid"])
def test_no_reply(findings, changes) -> None:
    review, series = _review(findings, **changes)
    assert reply.compose(review, series, BOT, rules_version="v", date="d") is None
    assert reply.plan(review, BOT) is None


def test_key_depends_on_msgid_and_fingerprints_only() -> None:
    review, _ = _review((_finding(fingerprint="a"), _finding(fingerprint="b", line=82)))
    same, _ = _review((_finding(fingerprint="b", line=90, message="reworded"), _finding(fingerprint="a")))
    other, _ = _review((_finding(fingerprint="a"),))
    assert reply.plan(review, BOT).key == reply.plan(same, BOT).key
    assert reply.plan(review, BOT).key != reply.plan(other, BOT).key
    # a new revision (new Message-ID) with the same findings: new key, same lineage and digest
    v2, _ = _review((_finding(fingerprint="a"), _finding(fingerprint="b")), msgid="v2@example.org")
    p1, p2 = reply.plan(review, BOT), reply.plan(v2, BOT)
    assert p1.key != p2.key and (p1.lineage, p1.digest) == (p2.lineage, p2.digest)


def test_compose_is_deterministic() -> None:
    review, series = _review((_finding(),))
    one = reply.compose(review, series, BOT, rules_version="v", date="Mon, 01 Jan 2024 00:00:00 +0000")
    two = reply.compose(review, series, BOT, rules_version="v", date="Mon, 01 Jan 2024 00:00:00 +0000")
    assert one.as_bytes() == two.as_bytes()
    given = reply.compose(review, series, BOT, rules_version="v", date="d", msgid="<x@y>",)
    assert given["Message-ID"] == "<x@y>"
    domain = reply.compose(review, series, BOT, rules_version="v", date="d", msgid_domain="bots.example")
    assert domain["Message-ID"].endswith("@bots.example>")


def test_references_fall_back_to_the_cover_letter() -> None:
    review, series = _review((_finding(),), references=(), in_reply_to=None)
    msg = reply.compose(review, series, BOT, rules_version="v", date="d")
    assert msg["References"] == ("<20171012104141.26902-1-christoffer.dall@linaro.org>"
                                 " <20171012104141.26902-2-christoffer.dall@linaro.org>")


def test_patch_level_finding_without_location_is_still_said() -> None:
    review, series = _review((_finding(path=None, line=None, message="The subject says nothing."),))
    body = reply.compose(review, series, BOT, rules_version="v", date="d").get_content()
    assert "\nThe subject says nothing.\n" in body
    assert "> diff --git" not in body


def test_list_addresses() -> None:
    series = load_series(DATA / "seed-get-host-ctxt.mbox")[0]
    assert reply.list_addresses(series.patches[0].message) == (
        "kvmarm@lists.cs.columbia.edu", "linux-arm-kernel@lists.infradead.org")


def test_reply_subject() -> None:
    assert reply.reply_subject("[PATCH] x") == "Re: [PATCH] x"
    assert reply.reply_subject("RE: [PATCH] x") == "RE: [PATCH] x"


def test_finding_outside_the_hunks_names_its_place() -> None:
    review, series = _review((_finding(line=500, message="Outside."),))
    body = reply.compose(review, series, BOT, rules_version="v", date="d").get_content()
    assert "\nIn arch/arm64/include/asm/kvm_asm.h:500 (not in the patch's hunks):\nOutside.\n" in body


def test_a_finding_on_a_comment_quotes_the_whole_comment() -> None:
    review, series = _review((_finding(line=75, message="Stale comment."),))
    body = reply.compose(review, series, BOT, rules_version="v", date="d").get_content()
    assert ("> +\t/*\n"
            "> +\t * '=kvm_host_cpu_state' is a host VA from the constant pool, it may\n"
            "> +\t * not be accessible by this address from EL2, hyp_panic() converts\n"
            "> +\t * it with kern_hyp_va() before use.\n"
            "> +\t */\n\nStale comment.\n") in body
