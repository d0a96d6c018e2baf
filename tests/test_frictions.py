"""Issue 18, "Frictions found": each item as a new user met it, held here.

Items 1, 2, 4 and 8 (the envelope) run ``reviewbot review`` with the fake
engine of test_review_cli and a real SMTP server on loopback; the others
run the real rule pack.
"""

from __future__ import annotations

import io

import json
import mailbox
import re
import subprocess
from pathlib import Path


from reviewbot import cli
from reviewbot.config import BotConfig
from tests.conftest import EXAMPLES, make_patch, run_cli
from tests.test_review_cli import (  # noqa: F401 - fixtures
    KVMARM, fake_engine, message, patch_body, review, series, smtp_yaml, work, write,
)

try:
    from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401
except ImportError:  # pragma: no cover
    from smtp_server import SmtpServer, smtp_server  # type: ignore[no-redef]  # noqa: F401

SERIES = sorted(str(p) for p in (EXAMPLES / "seed-series").glob("*.patch"))
HYP = "arch/arm64/kvm/hyp/switch.S"
SWAP_HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"
LAL = "linux-arm-kernel@lists.infradead.org"


def _git(cwd: Path, *argv: str) -> str:
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *argv],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


# --- 1. replies go out as the configured bot, and the default identity is flagged ------------


def _bot_config(work: Path, server, **bot) -> str:
    config = json.loads(Path(smtp_yaml(work, server)).read_text())
    config["bot"] = bot
    return write(work / "bot-identity.yaml", json.dumps(config))


def test_1_a_reply_is_sent_as_the_configured_bot(work: Path, fake_engine, smtp_server, capsys) -> None:
    mbox = write(work / "s.mbox", series())
    assert review(mbox) == 0  # written with the default identity
    assert review("--send", "--config", _bot_config(work, smtp_server, email="kvm-bot@example.org",
                                                    name="KVM bot")) == 0
    [got] = smtp_server.received
    assert got.mail_from == "kvm-bot@example.org"
    assert got.message["From"] == "KVM bot <kvm-bot@example.org>"


def test_1_sending_as_the_default_identity_warns(work: Path, fake_engine, smtp_server, capsys,
                                                 caplog) -> None:
    mbox = write(work / "s.mbox", series())
    assert review(mbox, "--send", "--config", smtp_yaml(work, smtp_server)) == 0
    assert "bot.email is the default reviewbot@localhost" in caplog.text


# --- 2. git format-patch output without --thread -----------------------------------------------


def test_2_a_patch_without_message_id_says_why_no_reply(work: Path, fake_engine, capsys) -> None:
    text = message("[PATCH] KVM: arm64: Bad msr", "x@example.org", patch_body(["\tmsr\tx1, tpidr_el2"]))
    text = text.replace("Message-Id: <x@example.org>\n", "")
    assert review(write(work / "0001-bad.patch", text)) == 0
    out = capsys.readouterr().out
    assert "1 patch with findings has no Message-ID to reply to" in out
    assert "git format-patch --thread" in out


# --- 3. the kernel era, when guessed, is said -----------------------------------------------------

CPU_PTR_HUNK = ("@@ -1,3 +1,4 @@ static void __hyp_text example(struct kvm_vcpu *vcpu)\n {\n"
                "+\thost_ctxt = this_cpu_ptr(&kvm_host_cpu_state);\n \tstruct kvm_cpu_context *host_ctxt;\n }\n")


def _backport(tmp_path: Path) -> str:
    patch = make_patch("arch/arm64/kvm/hyp/switch.c", CPU_PTR_HUNK, date="Mon, 2 Jun 2025 10:00:00 +0000")
    return write(tmp_path / "0001-backport.patch", patch)


def test_3_an_era_from_the_mail_date_is_said(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "check", _backport(tmp_path))
    assert "c.hyp.this-cpu-ptr" not in out
    assert re.search(r"note: .*kernel 6\.\d+ assumed from the mail date.* -c context\.kernel=", err)
    _, out, _ = run_cli(capsys, "check", "--format", "json", _backport(tmp_path))
    [entry] = json.loads(out)["inputs"]
    assert entry["kernel"]["origin"] == "mail date" and entry["kernel"]["version"].startswith("6.")
    _, out, _ = run_cli(capsys, "check", "--format", "sarif", _backport(tmp_path))
    assert json.loads(out)["runs"][0]["properties"]["kernel"][0]["origin"] == "mail date"
    code, out, err = run_cli(capsys, "check", "-c", "context.kernel=5.4", _backport(tmp_path))
    assert "c.hyp.this-cpu-ptr" in out and "assumed" not in err  # a warning: exit 0


def test_3_review_says_so_too(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, err = run_cli(capsys, "review", _backport(tmp_path))
    assert code == 0 and "c.hyp.this-cpu-ptr" not in out
    assert re.search(r"note: .*kernel 6\.\d+ assumed from the mail date.*c\.hyp\.this-cpu-ptr.* -c context\.kernel=", err)


def test_3_a_diff_without_a_date_says_which_sources_did_not_run(tmp_path: Path, capsys, monkeypatch) -> None:
    # a plain diff on stdin: no mail date, no tree; the taint rule runs, but not its
    # kernel-VA sources (they hold before 5.12 only), and the note says so by name
    diff = ("--- a/arch/arm64/kvm/hyp/entry.S\n+++ b/arch/arm64/kvm/hyp/entry.S\n@@ -1,2 +1,4 @@\n foo:\n"
            "+\tldr\tx1, =kvm_host_cpu_state\n+\tldr\tx2, [x1, #8]\n \tret\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(diff.encode())))
    code, out, err = run_cli(capsys, "check", "--no-tree", "-")
    assert code == 0 and out == ""
    assert "note: the target kernel of <stdin> is unknown (no kernel tree here)" in err
    assert "arm64.hyp.missing-kern-hyp-va's sources for <5.12" in err
    code, out, _ = run_cli(capsys, "check", "--no-tree", "-c", "context.kernel=5.4", str(write(tmp_path / "d.diff", diff)))
    assert code == 1 and "missing-kern-hyp-va" in out


def test_3_a_tree_named_says_its_makefile_gave_no_version(tmp_path: Path, capsys, monkeypatch) -> None:
    diff = ("--- a/arch/arm64/kvm/hyp/entry.S\n+++ b/arch/arm64/kvm/hyp/entry.S\n@@ -1,2 +1,4 @@\n foo:\n"
            "+\tldr\tx1, =kvm_host_cpu_state\n+\tldr\tx2, [x1, #8]\n \tret\n")
    tree = tmp_path / "tree"
    (tree / "arch").mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(tree))  # a checkout, but no Makefile to read a version from
    name = str(write(tmp_path / "d.diff", diff))
    code, out, err = run_cli(capsys, "check", "--tree", str(tree), name)
    assert "is unknown (the tree's Makefile gives no kernel version)" in err
    assert "-c context.kernel=VERSION (e.g. 5.10)\n" in err  # not "check inside the kernel tree"
    # a directory that is neither a kernel tree nor a checkout is refused, not taken for one
    code, out, err = run_cli(capsys, "check", "--tree", str(tmp_path / "tree" / "arch"), name)
    assert code == 0  # inside the checkout: fine
    (tmp_path / "plain").mkdir()
    code, out, err = run_cli(capsys, "check", "--tree", str(tmp_path / "plain"), name)
    assert code == 2 and "--tree " in err and "not a kernel tree (no Makefile and arch/ at its top) nor in a git checkout" in err


def test_3_a_whole_file_whose_kernel_is_unknown_says_which_rules_did_not_run(tmp_path: Path, capsys,
                                                                            monkeypatch) -> None:
    # --file outside a tree: the kernel-VA rules' sources need a kernel, and
    # were skipped without a word
    monkeypatch.chdir(tmp_path)
    src = write(tmp_path / "entry.S", "foo:\n\tldr\tx1, =kvm_host_cpu_state\n\tldr\tx2, [x1]\n\tret\n")
    code, out, err = run_cli(capsys, "check", "--file", src, "--as", "arch/arm64/kvm/hyp/entry.S")
    assert (code, out) == (0, "")
    assert "note: the target kernel of arch/arm64/kvm/hyp/entry.S is unknown (no kernel tree here)" in err
    assert "arm64.hyp.missing-kern-hyp-va's sources for <5.12" in err
    code, out, err = run_cli(capsys, "check", "-c", "context.kernel=5.4", "--file", src, "--as",
                             "arch/arm64/kvm/hyp/entry.S")
    assert code == 1 and "missing-kern-hyp-va" in out and "note:" not in err
    _, out, _ = run_cli(capsys, "check", "--format", "json", "-c", "context.kernel=5.4", "--file", src)
    assert json.loads(out)["inputs"][0]["kernel"] == {"version": "5.4", "origin": "config"}


# --- 4. a malformed patch is not "reviewed" ---------------------------------------------------


def test_4_nothing_reviewable_is_exit_2(work: Path, fake_engine, capsys) -> None:
    lying = message("[PATCH] KVM: arm64: Counts that lie", "lies@example.org",
                    patch_body(["\tmsr\tx1, tpidr_el2"]).replace("+10,3 @@", "+10,9 @@"))
    assert review(write(work / "lies.mbox", lying)) == 2
    out = capsys.readouterr().out
    assert "patches: 0 reviewed, 0 with findings, 1 malformed" in out


# --- 5. rule authoring: every problem at once; rules new ------------------------------------------

GOOD_RULE = Path(__file__).resolve().parent.parent / "rules" / "c-sysreg" / "c.sysreg.write-sysreg-swapped-args.yaml"


def _broken_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    text = GOOD_RULE.read_text()
    # a schema problem (an unknown key) and a bad regex in one file
    one = text.replace("id: c.sysreg.write-sysreg-swapped-args", "id: mine.one\ncolour: red") \
              .replace('pattern: "\\\\bwrite', 'pattern: "(\\\\bwrite')
    (folder / "mine.one.yaml").write_text(one)
    two = text.replace("id: c.sysreg.write-sysreg-swapped-args", "id: mine.two").replace(
        "severity: error", "severity: fatal")
    (folder / "mine.two.yaml").write_text(two)
    return folder


def test_5_validate_reports_every_problem_of_every_file(tmp_path: Path, capsys) -> None:
    folder = _broken_rules(tmp_path)
    code, out, err = run_cli(capsys, "rules", "validate", str(folder))
    assert code == 1
    one, two = folder / "mine.one.yaml", folder / "mine.two.yaml"
    assert re.search(rf"^{re.escape(str(one))}:2: colour: .*not allowed", out, re.MULTILINE)
    assert re.search(rf"^{re.escape(str(one))}:\d+: regex\.pattern: .*(missing \)|unterminated)", out,
                     re.MULTILINE)
    assert re.search(rf"^{re.escape(str(two))}:3: severity: 'fatal' is not one of", out, re.MULTILINE)
    assert "2 rule files, 3 problems" in err


def test_5_check_with_broken_rules_reports_them_all(tmp_path: Path, capsys) -> None:
    folder = _broken_rules(tmp_path)
    code, out, err = run_cli(capsys, "check", "--rules", str(folder), SERIES[0])
    assert code == 2
    assert "mine.one.yaml" in err and "mine.two.yaml" in err


def test_5_rules_new_writes_a_rule_that_validates_and_tests(tmp_path: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "rules", "new", "arm64.hyp.my-check", "--dir", str(tmp_path))
    assert code == 0
    rule = tmp_path / "arm64-hyp" / "arm64.hyp.my-check.yaml"
    case = tmp_path / "arm64-hyp" / "arm64.hyp.my-check.test.S"
    assert rule.is_file() and case.is_file() and str(rule) in out
    assert run_cli(capsys, "rules", "validate", str(tmp_path))[0] == 0
    code, out, _ = run_cli(capsys, "rules", "test", "--rules", str(tmp_path), "arm64.hyp.my-check")
    assert code == 0 and "ok   arm64.hyp.my-check" in out
    code, _, err = run_cli(capsys, "rules", "new", "arm64.hyp.my-check", "--dir", str(tmp_path))
    assert code == 2 and "exists" in err
    assert run_cli(capsys, "rules", "new", "Not An Id", "--dir", str(tmp_path))[0] == 2


# --- 6. rules show -----------------------------------------------------------------------------


def test_6_rules_show_renders_the_fix_lists_references_once_takes_prefixes(capsys) -> None:
    code, out, _ = run_cli(capsys, "rules", "show", "arm64.sysreg.msr-mrs-operand-order")
    assert code == 0
    assert "$FIXED" not in out and "mrs\t$R, $SYS" in out
    assert out.count("References") == 1
    assert out.count("https://lists.infradead.org/pipermail/linux-arm-kernel/2017-November/545497.html") == 1
    code, out, _ = run_cli(capsys, "rules", "show", "arm64.sysreg")
    assert code == 0
    assert "arm64.sysreg.msr-mrs-operand-order: " in out and "arm64.sysreg.write-to-read-only: " in out


# --- 7. command-line habits ----------------------------------------------------------------------


def test_7_text_output_ends_with_a_summary_line(capsys) -> None:
    code, out, _ = run_cli(capsys, "check", *SERIES)
    assert re.search(r"^total: \d+ errors?, \d+ warnings?, \d+ info, 4 patches, \d+ lines checked$",
                     out.splitlines()[-1])
    code, out, _ = run_cli(capsys, "check", "-q", *SERIES)
    assert not out.splitlines()[-1].startswith("total:")
    assert all(": error: " in line or ": warning: " in line or ": info: " in line for line in out.splitlines())


def test_7_findings_of_an_mbox_say_their_patch(capsys, tmp_path: Path) -> None:
    first = make_patch(HYP, SWAP_HUNK, subject="[PATCH 1/2] a", msgid="a@x")
    second = make_patch("arch/arm64/kvm/hyp/entry.S", SWAP_HUNK, subject="[PATCH 2/2] b", msgid="b@x")
    mbox = write(tmp_path / "s.mbox", first + "\n" + second)
    _, out, _ = run_cli(capsys, "check", mbox)
    lines = out.splitlines()
    assert lines[0] == f"{mbox}#1: [PATCH 1/2] a"
    assert lines[1].startswith(f"{HYP}:2: error:")
    assert lines[2] == f"{mbox}#2: [PATCH 2/2] b"
    assert lines[-1].startswith("total: 2 errors, 0 warnings, 0 info, 2 patches,")


def test_7_colour(capsys, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = run_cli(capsys, "check", "--color=always", *SERIES)
    assert "\x1b[1;31merror\x1b[0m" in out
    _, out, _ = run_cli(capsys, "check", *SERIES)  # not a terminal
    assert "\x1b[" not in out
    import reviewbot.commands.check_output as check
    monkeypatch.setattr(check, "_is_terminal", lambda stream: True)
    _, out, _ = run_cli(capsys, "check", *SERIES)
    assert "\x1b[" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run_cli(capsys, "check", *SERIES)
    assert "\x1b[" not in out
    _, out, _ = run_cli(capsys, "check", "--color=never", *SERIES)
    assert "\x1b[" not in out


def test_7_verbose_after_the_subcommand(capsys) -> None:
    assert run_cli(capsys, "check", "-v", *SERIES)[0] == 1
    assert run_cli(capsys, "rules", "list", "-v")[0] == 0


def test_7_git_minus_n_as_format_patch_takes_it(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = tmp_path / "k"
    (repo / "arch/arm64/kvm/hyp").mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(repo))
    (repo / HYP).write_text("foo:\n\tret\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / HYP).write_text("foo:\n\tmsr\tx0, tpidr_el2\n\tret\n")
    _git(repo, "commit", "-q", "-am", "two")
    monkeypatch.chdir(repo)
    code, out, err = run_cli(capsys, "check", "--git", "-1")
    assert code == 1, err
    assert f"{HYP}:2: error: [arm64.sysreg.msr-mrs-operand-order]" in out


def test_7_plurals(tmp_path: Path, capsys) -> None:
    _, _, err = run_cli(capsys, "rules", "validate", str(GOOD_RULE))
    assert "1 rule file, 0 problems" in err
    from reviewbot.commands.review_summary import Summary, format_summary
    text = format_summary(Summary(messages=1, covers=1))
    assert "1 cover letter," in text
    from reviewbot.commands.watch import outcomes_text
    assert "0 series reviewed, 0 replies queued, 0 waiting, 0 errors" in outcomes_text([])


def _a_patch_and_finding():
    from tests.test_reply import _finding, _review
    review_, _ = _review((_finding(rule_id="arm64.sysreg.msr-mrs-operand-order"),))
    return review_.patch, review_.findings[0]


# --- 8. replies --------------------------------------------------------------------------------


def test_8_one_comment_for_one_bug_and_plain_words_for_the_trace(capsys) -> None:
    from tests.test_review_golden import replies
    text = replies()["patch-1.eml"].decode()
    assert text.count("Suggested fix: mrs \\tmp, tpidr_el2") == 1
    assert "also arm64.sysreg.macro-temp-never-written" in text
    assert "(step)" not in text and "(source)" not in text


def test_8_the_footer_gives_the_address_for_false_positives() -> None:
    from reviewbot.bot.reply import render_body
    patch, finding = _a_patch_and_finding()
    body = render_body(patch, [finding], BotConfig(reports_to="kvm-bot-admin@example.org"),
                       rules_version="v1")
    assert "False positive? Reply to say so, or write to kvm-bot-admin@example.org." in body.replace("\n", " ")


def test_8_headers_and_envelope_agree(work: Path, fake_engine, smtp_server, capsys) -> None:
    text = series().replace(f"To: {KVMARM}\n", f"To: {KVMARM}\nCc: {LAL}\n", 2)
    mbox = write(work / "s.mbox", text)
    assert review(mbox, "--send", "--config", smtp_yaml(work, smtp_server)) == 0
    [got] = smtp_server.received
    assert LAL not in got.rcpt_tos
    import email.utils
    headers = [a.lower() for _, a in email.utils.getaddresses(
        got.message.get_all("To", []) + got.message.get_all("Cc", []))]
    assert sorted(headers) == sorted(got.rcpt_tos)


# --- 9. --fix and --diff ----------------------------------------------------------------------

C_FILE = "arch/arm64/kvm/hyp/vgic-v3-sr.c"
C_BEFORE = "static void f(u64 val)\n{\n\tint x;\n}\n"
C_AFTER = "static void f(u64 val)\n{\n\tint x;\n\twrite_sysreg_s(SYS_ICC_SRE_EL2, val);\n}\n"
C_FIXED = "static void f(u64 val)\n{\n\tint x;\n\twrite_sysreg_s(val, SYS_ICC_SRE_EL2);\n}\n"


def _checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "k"
    (repo / "arch/arm64/kvm/hyp").mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(repo))
    (repo / C_FILE).write_text(C_BEFORE)
    (repo / HYP).write_text("foo:\n\tret\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / C_FILE).write_text(C_AFTER)
    (repo / HYP).write_text("foo:\n\tmsr\tx0, tpidr_el2\n\tret\n")
    return repo


def test_9_fix_applies_only_safe_fixes(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _checkout(tmp_path)
    monkeypatch.chdir(repo)
    code, out, err = run_cli(capsys, "check", "--fix")
    assert (repo / C_FILE).read_text() == C_FIXED
    assert (repo / HYP).read_text() == "foo:\n\tmsr\tx0, tpidr_el2\n\tret\n"  # unsafe: shown only
    assert f"fixed {C_FILE}:4 [c.sysreg.write-sysreg-swapped-args]" in err
    assert "1 fix applied" in err
    assert "c.sysreg.write-sysreg-swapped-args" not in out  # fixed, so no longer reported
    assert code == 1 and "arm64.sysreg.msr-mrs-operand-order" in out
    assert run_cli(capsys, "check", "--fix")[0] == 1  # nothing left to fix


def test_9_diff_prints_the_fixes_and_touches_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _checkout(tmp_path)
    monkeypatch.chdir(repo)
    code, out, err = run_cli(capsys, "check", "--diff")
    assert (repo / C_FILE).read_text() == C_AFTER
    assert f"--- a/{C_FILE}\n+++ b/{C_FILE}\n" in out
    assert "-\twrite_sysreg_s(SYS_ICC_SRE_EL2, val);\n+\twrite_sysreg_s(val, SYS_ICC_SRE_EL2);\n" in out
    applied = subprocess.run(["git", "apply", "--check", "-"], input=out, text=True, cwd=repo,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr
    # nothing safe to fix: the patch is empty, and a note says why
    subprocess.run(["git", "apply", "-"], input=out, text=True, cwd=repo, check=True, capture_output=True)
    code, out, err = run_cli(capsys, "check", "--diff")
    assert (code, out) == (0, "") and "1 finding, none with a fix marked safe" in err


def test_9_a_path_git_quotes_is_read_and_written_as_git_writes_it(tmp_path: Path, capsys, monkeypatch) -> None:
    """A name with a quote, a backslash or a non-ASCII letter: git diff
    writes it quoted, check reads it unquoted (its rules run on it) and
    --diff writes it quoted again, for git apply."""
    repo = tmp_path / "k"
    odd = 'arch/arm64/kvm/hyp/vgic-"\\ö.c'
    (repo / "arch/arm64/kvm/hyp").mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(repo))
    (repo / odd).write_text(C_BEFORE)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / odd).write_text(C_AFTER)
    monkeypatch.chdir(repo)
    code, out, err = run_cli(capsys, "check", "--diff")
    assert '--- "a/arch/arm64/kvm/hyp/vgic-\\"\\\\\\303\\266.c"\n' in out
    applied = subprocess.run(["git", "apply", "--check", "-"], input=out, text=True, cwd=repo, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    subprocess.run(["git", "apply", "-"], input=out, text=True, cwd=repo, check=True, capture_output=True)
    assert (repo / odd).read_text() == C_FIXED


def test_9_a_file_that_differs_from_what_was_checked_is_not_touched(tmp_path: Path, capsys,
                                                                    monkeypatch) -> None:
    repo = _checkout(tmp_path)
    diff = _git(repo, "diff", "HEAD", "--", C_FILE)
    hunks = diff[diff.index("@@"):]
    other = "static void f(u64 val)\n{\n\tint y;\n\twrite_sysreg_s(SYS_ICC_SRE_EL2, other);\n}\n"
    (repo / C_FILE).write_text(other)
    name = write(tmp_path / "0001.patch", make_patch(C_FILE, hunks))
    monkeypatch.chdir(repo)
    code, out, err = run_cli(capsys, "check", "--fix", name)
    assert (repo / C_FILE).read_text() == other
    assert f"not fixed {C_FILE}:4" in err and "differs from what was checked" in err


def test_9_a_patch_checked_outside_the_tree_says_where_its_file_was_looked_for(tmp_path: Path, capsys,
                                                                               monkeypatch) -> None:
    repo = _checkout(tmp_path)
    diff = _git(repo, "diff", "HEAD", "--", C_FILE)
    name = write(tmp_path / "0001.patch", make_patch(C_FILE, diff[diff.index("@@"):]))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run_cli(capsys, "check", "--no-tree", "--diff", name)
    assert (code, out) == (0, "")
    assert f"not fixed {C_FILE}:4 [c.sysreg.write-sysreg-swapped-args]: {elsewhere / C_FILE} cannot be read" in err
    assert "run inside the kernel tree, or name it with --tree" in err
    # it had said "none with a fix marked safe", of a finding whose fix is safe
    assert "1 finding, 1 safe fix could not be applied (see above): no patch" in err
    code, out, err = run_cli(capsys, "check", "--diff", "--tree", str(repo), name)
    assert code == 1 and "+\twrite_sysreg_s(val, SYS_ICC_SRE_EL2);\n" in out


def test_9_fix_with_file_and_as_fixes_the_file_named(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.c").write_text(C_AFTER)
    code, out, err = run_cli(capsys, "check", "--fix", "--file", "t.c", "--as", C_FILE)
    assert (tmp_path / "t.c").read_text() == C_FIXED, err  # not a file at the --as path
    assert f"fixed {C_FILE}:4 [c.sysreg.write-sysreg-swapped-args]" in err and code == 0


# --- 10. watch --status after --maildir; per-path-ignores with a typo ---------------------------


def test_10_status_after_a_maildir_run_says_maildir(work: Path, capsys) -> None:
    box = mailbox.Maildir(str(work / "lei"), create=True)
    box.add(series().split("\nFrom 0000")[0].encode())
    assert cli.main(["watch", "--once", "--maildir", str(work / "lei")]) == 0
    capsys.readouterr()
    assert cli.main(["watch", "--status"]) == 0
    out = capsys.readouterr().out
    assert "lore.kernel.org" not in out
    assert re.search(r"watching: .*Maildir", out)


def test_10_a_misspelled_rule_in_per_path_ignores_is_an_error(tmp_path: Path, capsys) -> None:
    config = write(tmp_path / "c.yaml", json.dumps(
        {"rules": {"per-path-ignores": {"arch/**": ["arm64.sysreg.msr-mrs-operand-ordr"]}}}))
    code, _, err = run_cli(capsys, "check", "--config", config, SERIES[0])
    assert code == 2
    assert "rules.per-path-ignores" in err and "arm64.sysreg.msr-mrs-operand-ordr" in err


# --- 11. disclosure ------------------------------------------------------------------------------


def test_11_the_footer_discloses_the_tool_and_links_each_rule() -> None:
    from reviewbot.bot.reply import render_body
    patch, finding = _a_patch_and_finding()
    body = render_body(patch, [finding], BotConfig(), rules_version="abc123")
    footer = body.split("\n-- \n", 1)[1].replace("\n", " ")
    assert "rules-based checker (not a language model)" in footer
    assert "rule set abc123" in footer
    assert f"reviewbot rules show RULE' ({finding.rule_id})" in footer
    body = render_body(patch, [finding], BotConfig(docs_url="https://example.org/rules/"),
                       rules_version="abc123")
    assert f"https://example.org/rules/{finding.rule_id}" in body.split("\n-- \n", 1)[1]
