"""Code suggested in review replies (issue 17): found, put in context, reviewed
by the rules marked for suggestions only, reported at the reply's lines.

Every reply here is written for the test, after the shapes of real threads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_patch, run_cli

from reviewbot.config import load_config
from reviewbot.mail.parse import parse_message
from reviewbot.mail.suggestions import find_suggestions
from reviewbot.rules.loader import load_rules
from reviewbot.suggestion_review import review_reply, suggestion_rules

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_4f6dc0aefaef945d.txt"


def reply(body: str, *, msgid: str = "r1@example.org", parent: str = "p1@example.org",
          refs: str = "p1@example.org", subject: str = "Re: [PATCH] KVM: arm64: example",
          sender: str = "Rev Iewer <rev@example.org>") -> str:
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"Message-Id: <{msgid}>\nFrom: {sender}\nDate: Thu, 30 Nov 2017 10:00:00 +0000\n"
            f"Subject: {subject}\nTo: Ada Author <ada@example.org>\n"
            f"Cc: kvmarm@lists.cs.columbia.edu\nIn-Reply-To: <{parent}>\n"
            f"References: {' '.join(f'<{r}>' for r in refs.split())}\n\n{body}")


QUOTED_HYP_HUNK = """\
On Wed, Nov 29, 2017 at 06:20:52PM +0000, Ada Author wrote:
> diff --git a/arch/arm64/kvm/hyp/hyp-entry.S b/arch/arm64/kvm/hyp/hyp-entry.S
> --- a/arch/arm64/kvm/hyp/hyp-entry.S
> +++ b/arch/arm64/kvm/hyp/hyp-entry.S
> @@ -20,6 +20,10 @@
>  	.text
> +.macro get_host_ctxt reg, tmp
> +	ldr	\\reg, =kvm_host_cpu_state
> +	mrs	\\tmp, tpidr_el2
> +	add	\\reg, \\reg, \\tmp
> +	kern_hyp_va \\reg

Here, we're trading a load from the stack for a load from the constant
pool. Can't we do something like:

"""

SEED_MISTAKE = QUOTED_HYP_HUNK + """\
	adr_l	\\reg, kvm_host_cpu_state
	msr	\\tmp, tpidr_el2
	add	\\reg, \\reg, \\tmp

and that's it? Completely untested of course!
"""


def parsed(text: str):
    """The message of one mbox entry."""
    return parse_message(text.split("\n", 1)[1].encode())


def _check(tmp_path: Path, capsys, text: str, name: str = "reply.eml", *extra: str):
    path = tmp_path / name
    path.write_text(text)
    return run_cli(capsys, "check", "--no-tree", *extra, str(path))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if needle in line)


def test_the_seed_mistake_is_found_at_the_reply_line(tmp_path, capsys):
    text = reply(SEED_MISTAKE)
    code, out, err = _check(tmp_path, capsys, text)
    line = _line_of(text, "msr\t\\tmp, tpidr_el2")
    assert code == 1, err
    assert out.startswith(f"{tmp_path / 'reply.eml'}:{line}: error: [arm64.sysreg.msr-mrs-operand-order]")
    assert "arch/arm64/kvm/hyp/hyp-entry.S, macro get_host_ctxt" in out
    # only the certain rules: nothing about the quoted patch (then the total line)
    assert out.count("\n") == 2 and out.splitlines()[1].startswith("total: 1 error, 0 warnings")


def test_the_corrected_suggestion_is_clean(tmp_path, capsys):
    code, out, err = _check(tmp_path, capsys, reply(SEED_MISTAKE.replace("msr\t\\tmp", "mrs\t\\tmp")))
    assert (code, out) == (0, ""), err


def test_a_suggestion_in_c_with_write_sysreg_arguments_swapped(tmp_path, capsys):
    body = """\
On Wed, Nov 29, 2017, Ada Author wrote:
> --- a/arch/arm64/kvm/hyp/switch.c
> +++ b/arch/arm64/kvm/hyp/switch.c
> @@ -40,4 +40,5 @@ static void __activate_traps(struct kvm_vcpu *vcpu)
>  	u64 val;
> +	val = read_sysreg(cpacr_el1);

I'd rather write it back straight away, something like:

	val |= CPACR_EL1_TTA;
	write_sysreg(cpacr_el1, val);

Thanks,
M.
"""
    text = reply(body)
    code, out, _ = _check(tmp_path, capsys, text)
    assert code == 1
    assert f"reply.eml:{_line_of(text, 'write_sysreg(cpacr_el1')}: error: [c.sysreg.write-sysreg-swapped-args]" in out
    assert "arch/arm64/kvm/hyp/switch.c" in out
    code, out, _ = _check(tmp_path, capsys, reply(body.replace("write_sysreg(cpacr_el1, val)",
                                                               "write_sysreg(val, cpacr_el1)")))
    assert (code, out) == (0, "")


def test_quoting_a_buggy_patch_without_suggesting_anything_is_silent(tmp_path, capsys):
    body = """\
On Wed, Nov 29, 2017, Ada Author wrote:
> --- a/arch/arm64/kvm/hyp/hyp-entry.S
> +++ b/arch/arm64/kvm/hyp/hyp-entry.S
> @@ -20,6 +20,8 @@
> +	msr	\\tmp, tpidr_el2
> +	add	\\reg, \\reg, \\tmp

This really looks like a stale comment to me.
"""
    message = parsed(reply(body))
    assert find_suggestions(message) == ()
    code, out, _ = _check(tmp_path, capsys, reply(body))
    assert (code, out) == (0, "")


@pytest.mark.parametrize("prose", [
    "I think it should be mrs, not msr, in the second line.",
    "Shouldn't that be mrs x0, tpidr_el2 rather than msr?",
    "So msr tpidr_el2, x0 is what the host does. Fine.",
    "and that's it? add a comment here, please.",
    "Hi James,\n\nYes, that's right.\n\nThanks,\nChristoffer",
])
def test_prose_that_mentions_instructions_is_not_code(prose):
    message = parsed(reply(QUOTED_HYP_HUNK + prose + "\n"))
    assert find_suggestions(message) == ()


OBJDUMP = """\
And this is what the compiler made of this_cpu_ptr() there:

{prefix}adrp	x0, ffff000008ca9000 <overflow_stack+0xd20>
{prefix}add	x0, x0, #0x7d0
{prefix}mrs	x1, tpidr_el1
{prefix}add	x0, x0, x1
"""


@pytest.mark.parametrize("prefix", ["", "ffff000008ca9000:\td53bd041 \t"])
def test_pasted_objdump_in_nvhe_hyp_code(tmp_path, capsys, prefix):
    text = reply(QUOTED_HYP_HUNK + OBJDUMP.format(prefix=prefix))
    code, out, _ = _check(tmp_path, capsys, text, "reply.eml", "--fail-on", "warning")
    assert code == 1
    assert f"reply.eml:{_line_of(text, 'tpidr_el1')}: warning: [arm64.hyp.el1-percpu-offset]" in out


def test_the_same_objdump_outside_hyp_code_is_silent(tmp_path, capsys):
    not_hyp = QUOTED_HYP_HUNK.replace("arch/arm64/kvm/hyp/hyp-entry.S", "arch/arm64/kernel/entry.S")
    code, out, _ = _check(tmp_path, capsys, reply(not_hyp + OBJDUMP.format(prefix="")))
    assert (code, out) == (0, "")


def test_a_reply_to_a_reply_takes_its_context_two_levels_up(tmp_path, capsys):
    patch = make_patch("arch/arm64/kvm/hyp/nvhe/host.S",
                       "@@ -10,1 +10,3 @@\n \t.text\n+\tadr_l\tx0, kvm_host_data\n+\tmrs\tx1, tpidr_el2\n",
                       msgid="p1@example.org", subject="[PATCH] KVM: arm64: host data")
    first = reply("On Wed, Ada Author wrote:\n> +\tadr_l\tx0, kvm_host_data\n> +\tmrs\tx1, tpidr_el2\n\n"
                  "Why not this_cpu_ptr()?\n", msgid="r1@example.org")
    second = reply("On Thu, Rev Iewer wrote:\n> Ada Author wrote:\n> > +\tadr_l\tx0, kvm_host_data\n"
                   "> > +\tmrs\tx1, tpidr_el2\n>\n> Why not this_cpu_ptr()?\n\n"
                   "Because it compiles to:\n\n\tmrs\tx1, tpidr_el1\n\tadd\tx0, x0, x1\n",
                   msgid="r2@example.org", parent="r1@example.org", refs="p1@example.org r1@example.org")
    mbox = patch + "\n" + first + "\n" + second
    messages = [parsed(chunk) for chunk in (patch, first, second)]
    thread = {m.msgid: m for m in messages}
    found = find_suggestions(messages[2], thread)
    assert [(s.path, s.origin) for s in found] == [("arch/arm64/kvm/hyp/nvhe/host.S", "thread patch")]
    assert find_suggestions(messages[2], {})[0].path is None  # the reply alone does not say
    code, out, _ = _check(tmp_path, capsys, mbox, "thread.mbox", "--fail-on", "warning")
    assert code == 1
    assert "[arm64.hyp.el1-percpu-offset]" in out and "arch/arm64/kvm/hyp/nvhe/host.S" in out


def test_only_rules_marked_for_suggestions_speak():
    config = load_config()
    rules = load_rules(config)
    chosen = {r.id for r in suggestion_rules(rules)}
    assert chosen == {"arm64.sysreg.msr-mrs-operand-order", "arm64.sysreg.read-of-write-only",
                      "arm64.sysreg.write-to-read-only", "c.sysreg.write-sysreg-swapped-args",
                      "arm64.hyp.el1-percpu-offset"}
    # a redundant kern_hyp_va (an info-level advisory) in a suggestion says nothing
    body = QUOTED_HYP_HUNK + "\tadr_l\tx0, kvm_host_cpu_state\n\tkern_hyp_va\tx0\n"
    done = review_reply(parsed(reply(body)), {}, rules, config)
    assert len(done.suggestions) == 1 and done.findings == ()


def test_a_suggested_diff_is_reviewed_on_its_added_lines():
    body = ("Something like this (untested):\n\n"
            "diff --git a/arch/arm64/kvm/hyp/entry.S b/arch/arm64/kvm/hyp/entry.S\n"
            "--- a/arch/arm64/kvm/hyp/entry.S\n+++ b/arch/arm64/kvm/hyp/entry.S\n"
            "@@ -1,3 +1,3 @@\n \tmsr\tsp_el0, x1\n-\tmrs\tx0, tpidr_el2\n+\tmsr\tx0, tpidr_el2\n")
    message = parsed(reply(body))
    config = load_config()
    done = review_reply(message, {}, load_rules(config), config)
    assert [(f.rule_id, f.line) for f in done.findings] == [
        ("arm64.sysreg.msr-mrs-operand-order", message.body_line + body.split("\n").index("+\tmsr\tx0, tpidr_el2"))]


# --- list-archive pages ------------------------------------------------------------------------

PIPERMAIL_PAGE = """\
[PATCH 01/37] KVM: arm64: Avoid a load from the stack
Rev Iewer
rev at example.org
Thu Nov 30 10:00:00 PST 2017
Hi Ada,
On Wed, Nov 29, 2017 at 18:20:52, Ada Author wrote:
> > diff --git a/arch/arm64/kvm/hyp/hyp-entry.S b/arch/arm64/kvm/hyp/hyp-entry.S
> > +++ b/arch/arm64/kvm/hyp/hyp-entry.S
> > @@ -20,4 +20,6 @@
> > +.macro get_host_ctxt reg, tmp
> > + ldr \\reg, =kvm_host_cpu_state
>
> Can't we do something like:
>
> adr_l \\reg, kvm_host_cpu_state
> msr \\tmp, tpidr_el2
> add \\reg, \\reg, \\tmp
>
I tried it; it does not work.
Thanks,
Ada
More information about the linux-arm-kernel
mailing list
"""


def test_check_reads_a_saved_pipermail_page(tmp_path, capsys):
    code, out, err = _check(tmp_path, capsys, PIPERMAIL_PAGE, "page.txt")
    line = _line_of(PIPERMAIL_PAGE, "msr \\tmp")
    assert code == 1, err
    assert out.startswith(f"{tmp_path / 'page.txt'}:{line}: error: [arm64.sysreg.msr-mrs-operand-order]")
    assert "quoted at depth 1" in out and "macro get_host_ctxt" in out


def test_check_reads_a_saved_lore_page(tmp_path, capsys):
    page = ("From: Rev Iewer <rev@example.org>\nTo: Ada Author <ada@example.org>\n"
            "Subject: Re: [PATCH] KVM: arm64: example\n"
            "Date: Thu, 30 Nov 2017 10:00:00 +0000\t[thread overview]\n"
            "Message-ID: <r9@example.org>\nIn-Reply-To: <p1@example.org>\n\n"
            + SEED_MISTAKE + "\nnext prev parent reply other threads:[~2017-11-30 10:00 UTC|newest]\n")
    code, out, _ = _check(tmp_path, capsys, page, "lore.txt")
    assert code == 1
    assert f"lore.txt:{_line_of(page, 'msr') }: error:" in out


def test_a_page_whose_header_cannot_be_read_is_refused(tmp_path, capsys):
    broken = PIPERMAIL_PAGE.replace("rev at example.org", "somewhere")
    code, out, err = _check(tmp_path, capsys, broken, "page.txt")
    assert code == 2 and out == ""
    assert "page.txt" in err and "list-archive page" in err and "user at host" in err


@pytest.mark.skipif(not SEED.exists(), reason="the seed thread (shared/seed/ beside the repository) is not here")
def test_the_seed_page_itself(capsys):
    code, out, _ = run_cli(capsys, "check", "--no-tree", str(SEED))
    assert code == 1
    assert f"{SEED}:56: error: [arm64.sysreg.msr-mrs-operand-order]" in out


# --- review and watch: one answer to the reviewer ------------------------------------------------

try:
    from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401
except ImportError:  # pragma: no cover - run from tests/
    from smtp_server import SmtpServer, smtp_server  # type: ignore[no-redef]  # noqa: F401


def _thread_mbox(tmp_path: Path) -> str:
    patch = make_patch("arch/arm64/kvm/hyp/hyp-entry.S", "@@ -20,1 +20,2 @@\n \t.text\n+\tnop\n",
                       msgid="p1@example.org", subject="[PATCH] KVM: arm64: example")
    path = tmp_path / "thread.mbox"
    path.write_text(patch + "\n" + reply(SEED_MISTAKE))
    return str(path)


def test_review_answers_the_reviewer_once(tmp_path, capsys, monkeypatch):
    import mailbox

    monkeypatch.chdir(tmp_path)
    mbox = _thread_mbox(tmp_path)
    code, out, _ = run_cli(capsys, "review", mbox, "--outbox", str(tmp_path / "outbox"),
                           "--db", str(tmp_path / "outbox.sqlite"))
    assert code == 0 and f"replies: 1 written to {tmp_path / 'outbox'}" in out
    [answer] = list(mailbox.Maildir(str(tmp_path / "outbox"), create=False))
    assert answer["To"] == "Rev Iewer <rev@example.org>"
    assert answer["Cc"] == "Ada Author <ada@example.org>, kvmarm@lists.cs.columbia.edu"
    assert answer["In-Reply-To"] == "<r1@example.org>"
    assert answer["Subject"] == "Re: [PATCH] KVM: arm64: example"
    body = answer.get_payload()
    assert "> \tmsr\t\\tmp, tpidr_el2\n\n" in body  # the suggested line, quoted
    assert "adr_l" not in body and "ldr\t\\reg" not in body  # only that line
    assert "arm64.sysreg.msr-mrs-operand-order" in body
    code, out, _ = run_cli(capsys, "review", mbox, "--outbox", str(tmp_path / "outbox"),
                           "--db", str(tmp_path / "outbox.sqlite"))
    assert f"replies: 0 written to {tmp_path / 'outbox'}, 1 already recorded" in out
    assert len(mailbox.Maildir(str(tmp_path / "outbox"), create=False)) == 1


def test_review_sends_the_answer_to_the_opted_in_list(tmp_path, capsys, monkeypatch, smtp_server):
    import json

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "bot.yaml"
    config.write_text(json.dumps({"smtp": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 5,
                                           "opt-in-lists": ["kvmarm@lists.cs.columbia.edu"]}}))
    code, out, _ = run_cli(capsys, "review", _thread_mbox(tmp_path), "--send", "--config", str(config))
    assert code == 0 and "sent: 1" in out
    [got] = smtp_server.received
    assert sorted(got.rcpt_tos) == ["ada@example.org", "kvmarm@lists.cs.columbia.edu", "rev@example.org"]
    assert got.message["In-Reply-To"] == "<r1@example.org>"


# --- hostile input ---------------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from reviewbot.errors import MailParseError  # noqa: E402
from reviewbot.mail.archive_page import read_archive_page  # noqa: E402
from reviewbot.model import Message  # noqa: E402

_PIECES = st.sampled_from(["> ", ">> ", "+", "-", " ", "\t", "msr ", "mrs ", "x0, ", "tpidr_el2", "\\reg",
                           "diff --git a/x.S b/x.S", "+++ b/arch/arm64/kvm/hyp/a.S", "@@ -1 +1 @@",
                           ".macro m r", ".endm", "write_sysreg(", ");", "\n", "\n", "#ifdef X", "1:"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=80))
def test_any_body_gives_suggestions_on_its_own_lines(pieces):
    body = "".join(pieces)
    message = Message(msgid="m@x", subject="Re: x", sender="a@b", body=body, body_line=7)
    last = 7 + body.count("\n")
    for suggestion in find_suggestions(message, {}, quoted=True):
        assert all(7 <= n <= last for n in suggestion.lines if n is not None)
        assert len(suggestion.text.split("\n")) == len(suggestion.lines) + 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.booleans())
def test_any_page_is_read_or_refused_by_name(text, pipermail):
    data = (text + ("\nMore information about the x\nmailing list\n" if pipermail else "")).encode()
    try:
        read_archive_page(data, "page.txt")
    except MailParseError as exc:
        assert exc.source == "page.txt" and "list-archive page" in exc.problem


def test_a_very_long_line_is_not_code():
    message = Message(msgid="m@x", subject="Re: x", sender="a@b", body="a = b(" + "x" * 200_000 + ";\n")
    assert find_suggestions(message) == ()


def test_no_break_spaces_and_a_header_less_fragment_of_the_reviewers_own():
    config = load_config()
    rules = load_rules(config)
    body = (QUOTED_HYP_HUNK + "\xa0\xa0\xa0\xa0msr\xa0\xa0\xa0midr_el1, x0\n\nor, as a hunk:\n\n"
            "+\tmsr\tx1, tpidr_el2\n+\tadd\tx0, x0, x1\n")
    message = parsed(reply(body))
    done = review_reply(message, {}, rules, config)
    lines = body.split("\n")
    assert [(f.rule_id, f.line - message.body_line) for f in done.findings] == [
        ("arm64.sysreg.write-to-read-only", lines.index("\xa0\xa0\xa0\xa0msr\xa0\xa0\xa0midr_el1, x0")),
        ("arm64.sysreg.msr-mrs-operand-order", lines.index("+\tmsr\tx1, tpidr_el2")),
    ]


def test_a_macro_the_thread_uses_from_hyp_code_is_hyp_code(tmp_path, capsys):
    """The seed's shape: the macro lives in kvm_asm.h (not a hyp path), the
    patch calls it from hyp code, the suggestion for it reads tpidr_el1."""
    header = "arch/arm64/include/asm/kvm_asm.h"
    patch = (make_patch(header, "@@ -70,1 +70,5 @@\n #ifdef __ASSEMBLY__\n+.macro get_host_ctxt reg, tmp\n"
                                "+\tadr_l\t\\reg, kvm_host_cpu_state\n+\tmrs\t\\tmp, tpidr_el2\n+.endm\n",
                        msgid="p1@example.org", subject="[PATCH] KVM: arm64: get_host_ctxt")
             .replace("-- \n2.39.5\n", "")
             + "diff --git a/arch/arm64/kvm/hyp/entry.S b/arch/arm64/kvm/hyp/entry.S\n"
               "--- a/arch/arm64/kvm/hyp/entry.S\n+++ b/arch/arm64/kvm/hyp/entry.S\n"
               "@@ -10,1 +10,2 @@\n \tstp\tx2, x3, [sp, #-16]!\n+\tget_host_ctxt\tx2, x3\n-- \n2.39.5\n")
    answer = reply(f"> diff --git a/{header} b/{header}\n> +.macro get_host_ctxt reg, tmp\n"
                   "> +\tadr_l\t\\reg, kvm_host_cpu_state\n\nWhy not the kernel's offset:\n\n"
                   "\tmrs\t\\tmp, tpidr_el1\n\tadd\t\\reg, \\reg, \\tmp\n")
    code, out, _ = _check(tmp_path, capsys, patch + "\n" + answer, "thread.mbox", "--fail-on", "warning")
    assert code == 1 and "[arm64.hyp.el1-percpu-offset]" in out and "macro get_host_ctxt" in out
    code, out, _ = _check(tmp_path, capsys, answer, "alone.eml")  # the reply alone cannot know
    assert (code, out) == (0, "")
