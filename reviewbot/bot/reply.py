"""Compose the review reply to one patch: a plain-text :class:`EmailMessage`.

Pure: everything it needs is passed in (the review, the bot's identity, the
rules version, the date); it never reads a clock, a file or the network.
The reply follows kernel etiquette, as a careful human reviewer (and b4)
writes it:

- ``Re:`` subject, ``In-Reply-To`` the patch, ``References`` its chain plus
  the patch; To the author (or Reply-To), Cc the original To and Cc,
  deduplicated case-insensitively, without the bot's own address;
- an attribution line, then for each finding only the lines of the hunk it
  is about, quoted with ``> `` exactly as in the patch (``[...]`` where lines
  were cut), the comment right under the line, wrapped before 80 columns:
  the message, the evidence (where a value came from and where it is used),
  the suggested fix and the rule id;
- no line starts like a trailer (b4 and patchwork would harvest it);
- a ``-- `` footer that says a bot wrote it, which rules ran, and how to
  report a false positive.

No findings worth mailing, no reply: :func:`compose` returns None.

Why this module is long: one reply, one concept: headers, the quoted hunk
lines each finding is about, the comments under them and the footer are
laid out together, and the etiquette rules cut across all of them.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import textwrap
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from string import Template

from reviewbot import __version__
from reviewbot.config import BotConfig
from hashlib import sha256
from reviewbot.mail.git_paths import quoted_path
from reviewbot.model import (Confidence, DiffLine, FileChange, Finding, Hunk, Message, Patch,
                             PatchReview, Series, Severity, TraceStep)
from reviewbot.records import record

class _ReplyPolicy(email.policy.EmailPolicy):
    """Address lists and References fold at 78 columns; headers of one
    phrase or token never fold (Python would move a long Subject whole to
    a continuation line)."""

    UNFOLDED = frozenset({"subject", "message-id", "in-reply-to", "x-reviewbot-key", "date"})

    def fold(self, name: str, value: str) -> str:  # noqa: D102 - see the class
        if name.lower() in self.UNFOLDED:
            return email.policy.EmailPolicy.fold(self.clone(max_line_length=998), name, value)
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:  # noqa: D102 - see the class
        if name.lower() in self.UNFOLDED:
            return email.policy.EmailPolicy.fold_binary(self.clone(max_line_length=998), name, value)
        return super().fold_binary(name, value)


#: Headers encoded (RFC 2047) where not ASCII; lines end in LF.
REPLY_POLICY = _ReplyPolicy(linesep="\n", max_line_length=78)

#: The body skeleton (b4's ``review-reply-template`` style).
BODY_TEMPLATE = Template("""\
${attribution}
${review}
-- \n${footer}
""")

#: The footer under ``-- ``: what wrote this (disclosed as the kernel's
#: process documents on tool-generated content ask), what each rule
#: checks, and how to object.
FOOTER_TEMPLATE = Template("""\
This review was written by ${bot_name}, an automated rules-based checker (not a language model): reviewbot ${tool_version}, rule set ${rules_version}.
${rule_docs}
False positive? Reply to say so${reports_to}.""")

WRAP = 72  # prose is wrapped here, well before 80 columns
# What a header of a reply may carry (RFC 5322 lines end by 998 octets;
# RFC 5321 paths by 256): longer names are dropped, longer addresses and
# References entries left out, a longer Subject cut.
MAX_NAME = 200
MAX_ADDRESS = 254
MAX_MSGID = 900
MAX_SUBJECT = 900
CONTEXT_BEFORE = 2  # hunk lines quoted above the line a finding is about
MAX_COMMENT_LINES = 12  # a finding on a /* line quotes the comment when it closes this soon
CUT = "> [...]"

# b4 takes any line like this as a trailer in a follow-up (leading blanks allowed).
_TRAILER_LIKE = re.compile(r"^\s*\w\S+:\s+\S")
_REPLY_SUBJECT = re.compile(r"^\s*re\s*:", re.IGNORECASE)
_LIST_DOMAIN = re.compile(r"(^|\.)lists?\.|^vger\.kernel\.org$")


# --- what is mailed, and under which key ---------------------------------------


def mailable(findings: Iterable[Finding], bot: BotConfig) -> tuple[Finding, ...]:
    """The findings worth a mail: not suppressed, at or above the bot's
    ``min_severity`` and ``min_confidence``; in patch order."""
    min_severity = Severity.parse(bot.min_severity)
    min_confidence = Confidence.parse(bot.min_confidence)
    return tuple(f for f in findings
                 if not f.suppressed and f.severity >= min_severity and f.confidence >= min_confidence)


def fingerprint(finding: Finding) -> str:
    """The finding's own fingerprint, or one made from what it is about
    (rule, path, code, message) when the engine gave none."""
    if finding.fingerprint:
        return finding.fingerprint
    text = "\0".join((finding.rule_id, finding.path or "", finding.snippet.strip(), finding.message))
    return sha256(text.encode()).hexdigest()[:16]


def _digest(*parts: str) -> str:
    return sha256("\n".join(parts).encode()).hexdigest()


@record
class ReplyPlan:
    """What a reply would be about, known before it is composed.

    ``key`` (patch Message-ID and finding fingerprints) identifies the reply;
    ``lineage`` (author and patch title) identifies the patch across
    revisions and ``digest`` its findings, so a v2 whose findings did not
    change gets no second reply."""

    key: str
    lineage: str
    digest: str
    patch_msgid: str
    findings: tuple[Finding, ...]


def plan(review: PatchReview, bot: BotConfig) -> ReplyPlan | None:
    """The reply this review calls for, or None: no mailable findings, no
    Message-ID to reply to, or a patch the bot itself sent."""
    message = review.patch.message
    if not message.msgid or len(message.msgid) > MAX_MSGID or is_own_mail(message, bot):
        return None  # no id a reply could thread to in one header line (the mail reader refuses those)
    findings = mailable(review.findings, bot)
    if not findings:
        return None
    prints = sorted({fingerprint(f) for f in findings})
    digest = _digest(*prints)
    author = _address(message.sender)
    lineage = _digest(author, " ".join(review.patch.tags.title.lower().split()))
    return ReplyPlan(key=_digest(message.msgid, digest), lineage=lineage, digest=digest,
                     patch_msgid=message.msgid, findings=findings)


def is_own_mail(message: Message, bot: BotConfig) -> bool:
    """True for mail the bot wrote (its address, or its own headers)."""
    if _address(message.sender) == bot.email.lower():
        return True
    return message.header("X-Reviewbot-Key") is not None


# --- the message -----------------------------------------------------------------


def compose(review: PatchReview, series: Series | None, bot: BotConfig, *, rules_version: str,
            date: str, msgid: str | None = None, msgid_domain: str | None = None) -> EmailMessage | None:
    """The reply to ``review``'s patch, or None when none is due (see :func:`plan`).

    ``date`` is the RFC 2822 date of the reply (the caller reads the clock).
    ``msgid`` defaults to one derived from the reply key, so composing the
    same reply twice gives the same Message-ID; its domain is
    ``msgid_domain`` or the bot's."""
    the_plan = plan(review, bot)
    if the_plan is None:
        return None
    patch = review.patch
    original = patch.message
    bot_address = bot.email.lower()
    to = list(original.reply_to or (original.sender,))
    to = _dedupe(map(_bounded_address, to), exclude={bot_address})
    cc = _dedupe(map(_bounded_address, [*original.to, *original.cc]),
                 exclude={bot_address, *map(_address, to)})
    if msgid is None:
        domain = msgid_domain or bot.email.rpartition("@")[2] or "localhost"
        msgid = f"<reviewbot-{the_plan.key[:32]}@{domain}>"

    msg = EmailMessage(policy=REPLY_POLICY)
    msg["From"] = email.utils.formataddr((bot.name, bot.email))
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(original.subject)
    msg["Date"] = date
    msg["Message-ID"] = msgid
    msg["In-Reply-To"] = f"<{original.msgid}>"
    msg["References"] = " ".join(f"<{ref}>" for ref in references(original, series))
    msg["X-Patchwork-Hint"] = "ignore"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Reviewbot-Key"] = the_plan.key
    body = render_body(patch, the_plan.findings, bot, rules_version=rules_version)
    long_lines = any(len(line.encode("utf-8")) > 990 for line in body.split("\n"))
    cte = "quoted-printable" if long_lines else ("7bit" if body.isascii() else "8bit")
    msg.set_content(body, charset="utf-8", cte=cte)
    return msg


def reply_subject(subject: str) -> str:
    """``Re: <original>`` (not ``Re: Re:``), cut to :data:`MAX_SUBJECT`."""
    subject = " ".join(subject.split())
    subject = subject if _REPLY_SUBJECT.match(subject) else f"Re: {subject}"
    return subject if len(subject) <= MAX_SUBJECT else subject[:MAX_SUBJECT - 3].rstrip() + "..."


def _bounded_address(value: str) -> str:
    """``value`` fit for a header line: the name dropped when it is longer
    than :data:`MAX_NAME`; "" (left out) when the address is longer than
    :data:`MAX_ADDRESS` or not one an SMTP server takes."""
    name, address = email.utils.parseaddr(value)
    if len(address) > MAX_ADDRESS or not address.isascii() or "@" not in address:
        return ""
    return value if len(name) <= MAX_NAME else address


def references(original: Message, series: Series | None = None) -> list[str]:
    """The original's References chain (its In-Reply-To when it has none;
    the cover letter when it has neither), then the original itself."""
    chain = list(original.references)
    if not chain and original.in_reply_to:
        chain = [original.in_reply_to]
    if not chain and series is not None and series.cover is not None and series.cover.msgid:
        if series.cover.msgid != original.msgid:
            chain = [series.cover.msgid]
    if original.msgid:
        chain = [ref for ref in chain if ref != original.msgid] + [original.msgid]
    return [ref for ref in dict.fromkeys(chain) if len(ref) <= MAX_MSGID]


def list_addresses(message: Message) -> tuple[str, ...]:
    """The mailing lists among a message's recipients: its ``List-Post``
    and ``List-Id`` lists, and addresses on list servers."""
    found: list[str] = []
    post = message.header("List-Post") or ""
    found += [m.lower() for m in re.findall(r"mailto:([^>\s?]+)", post)]
    list_id = message.list_id or ""
    if "." in list_id and "@" not in list_id:
        name, _, domain = list_id.partition(".")
        found.append(f"{name}@{domain}".lower())
    for address in map(_address, (*message.to, *message.cc)):
        domain = address.rpartition("@")[2]
        if _LIST_DOMAIN.search(domain):
            found.append(address)
    recipients = {_address(a) for a in (*message.to, *message.cc)}
    return tuple(a for a in dict.fromkeys(found) if a in recipients)


def _address(value: str) -> str:
    return email.utils.parseaddr(value)[1].lower()


def _dedupe(addresses: Iterable[str], *, exclude: set[str]) -> list[str]:
    seen = set(exclude)
    result = []
    for value in addresses:
        address = _address(value)
        if not address or address in seen:
            continue
        seen.add(address)
        result.append(value)
    return result


# --- the body --------------------------------------------------------------------


def render_body(patch: Patch, findings: Sequence[Finding], bot: BotConfig, *,
                rules_version: str) -> str:
    """The reply text: attribution, quoted lines with comments, footer."""
    original = patch.message
    author = email.utils.parseaddr(original.sender)[0] or _address(original.sender) or "you"
    author = author if len(author) <= MAX_NAME else _address(original.sender) or "you"
    when = f"On {original.date}, " if original.date else "On "
    attribution = f"{when}{author} wrote:"
    review = "\n".join(_review_blocks(patch, findings))
    footer = FOOTER_TEMPLATE.substitute(
        bot_name=bot.name, tool_version=__version__, rules_version=rules_version,
        rule_docs=_rule_docs(findings, bot.docs_url),
        reports_to=f", or write to {bot.reports_to}" if bot.reports_to else "")
    footer = "\n".join(wrapped for line in footer.split("\n")
                       for wrapped in textwrap.wrap(line, width=WRAP, break_long_words=False,
                                                    break_on_hyphens=False))
    text = BODY_TEMPLATE.substitute(attribution=attribution, review=review, footer=footer)
    return _defuse_trailers(text)


def rule_doc_link(rule_id: str, docs_url: str) -> str:
    """Where a rule is documented: ``docs_url`` with ``{rule}`` replaced
    (or the rule id appended), else the command that shows it."""
    if not docs_url:
        return f"reviewbot rules show {rule_id}"
    if "{rule}" in docs_url:
        return docs_url.replace("{rule}", rule_id)
    return f"{docs_url.rstrip('/')}/{rule_id}"


def _rule_docs(findings: Sequence[Finding], docs_url: str) -> str:
    ids = sorted({f.rule_id for f in findings})
    if not docs_url:
        return f"What a rule checks: 'reviewbot rules show RULE' ({', '.join(ids)})."
    return "What each rule checks:\n" + "\n".join(f"  {rule_doc_link(i, docs_url)}" for i in ids)


def _defuse_trailers(text: str) -> str:
    """Prefix ``| `` to any unquoted line above the signature that b4 or
    patchwork would take for a trailer (as the kernel test robot does)."""
    head, sep, signature = text.partition("\n-- \n")
    lines = [f"| {line}" if _TRAILER_LIKE.match(line) else line for line in head.split("\n")]
    return "\n".join(lines) + sep + signature


def _review_blocks(patch: Patch, findings: Sequence[Finding]) -> list[str]:
    """Quoted context and comments, in patch order: patch-level findings
    first, then one quoted block per hunk that has findings."""
    body_lines = patch.message.body.split("\n")
    located: dict[tuple[int, int], list[tuple[int, Finding]]] = {}
    loose: list[Finding] = []
    for finding in findings:
        where = _locate(patch, finding)
        if where is None:
            loose.append(finding)
        else:
            file_index, hunk_index, line_index = where
            located.setdefault((file_index, hunk_index), []).append((line_index, finding))
    out: list[str] = []
    for finding in loose:
        quoted = _body_line(patch.message, body_lines, finding.mail_line)
        if quoted is not None:
            out.append(f"> {quoted}" if quoted else ">")
        out.append("")
        if quoted is None and finding.path is not None:
            out.append(f"In {finding.location} (not in the patch's hunks):")
        out.extend(_comment(finding))
        out.append("")
    shown_files: set[int] = set()
    for (file_index, hunk_index) in sorted(located):
        change = patch.files[file_index]
        if file_index not in shown_files:
            shown_files.add(file_index)
            out.append("> " + _file_header(patch.message, body_lines, change))
        hunk = change.hunks[hunk_index]
        out.extend(_hunk_block(patch.message, body_lines, hunk, located[(file_index, hunk_index)]))
    return out


def anchor(patch: Patch, finding: Finding) -> tuple[int, int, int] | None:
    """(file, hunk, line) indexes of the diff line a finding's comment goes
    under, as in a reply: the line it is about, or the end of the ``/* */``
    comment that line opens; None for a finding on no line of the hunks."""
    where = _locate(patch, finding)
    if where is None:
        return None
    file_index, hunk_index, line_index = where
    hunk = patch.files[file_index].hunks[hunk_index]
    return file_index, hunk_index, _block_comment_end(hunk, line_index)


def comment_lines(finding: Finding) -> list[str]:
    """The comment a reply puts under a finding's line (message, evidence,
    fix, rule id), with trailer-like lines defused."""
    return _defuse_trailers("\n".join(_comment(finding))).split("\n")


def _locate(patch: Patch, finding: Finding) -> tuple[int, int, int] | None:
    """(file, hunk, line) indexes of the diff line a finding is about."""
    if finding.path is None:
        return None
    candidates = [(i, c) for i, c in enumerate(patch.files)
                  if finding.path in (c.new_path, c.old_path)]
    if finding.mail_line is not None:
        for file_index, change in candidates:
            for hunk_index, hunk in enumerate(change.hunks):
                for line_index, line in enumerate(hunk.lines):
                    if line.mail_line == finding.mail_line:
                        return file_index, hunk_index, line_index
    for want_new in (True, False):
        number = finding.line if want_new else finding.old_line
        if number is None:
            continue
        best = None
        for file_index, change in candidates:
            for hunk_index, hunk in enumerate(change.hunks):
                for line_index, line in enumerate(hunk.lines):
                    if (line.new_line if want_new else line.old_line) != number:
                        continue
                    if want_new and line.kind == "+" or not want_new and line.kind == "-":
                        return file_index, hunk_index, line_index
                    best = best or (file_index, hunk_index, line_index)
        if best is not None:
            return best
    return None


def _hunk_block(original: Message, body_lines: list[str], hunk: Hunk,
                items: list[tuple[int, Finding]]) -> list[str]:
    """The hunk header, the lines around each finding (and the lines its
    evidence names), with the comments under their lines."""
    shown: set[int] = set()
    comments: dict[int, list[Finding]] = {}
    also: dict[int, list[Finding]] = {}  # id(finding) -> the findings its comment stands for
    items = _same_bug_once(hunk, items, also)
    for line_index, finding in sorted(items, key=lambda item: item[0]):
        end = _block_comment_end(hunk, line_index)
        comments.setdefault(end, []).append(finding)
        shown.update(range(max(0, line_index - CONTEXT_BEFORE), end + 1))
        for step_index in _trace_indexes(hunk, finding):
            shown.add(step_index)
    out = ["> " + _hunk_header(original, body_lines, hunk)]
    previous = -1
    for index in sorted(shown):
        if index != previous + 1:
            out.append(CUT)
        previous = index
        out.append("> " + _diff_text(hunk.lines[index]))
        for finding in comments.get(index, ()):
            out.append("")
            out.extend(_comment(finding, also.get(id(finding), ())))
            out.append("")
    if out[-1] != "":
        out.append("")
    return out


def _same_bug_once(hunk: Hunk, items: list[tuple[int, Finding]],
                   also: dict[int, list[str]]) -> list[tuple[int, Finding]]:
    """Two findings with the same suggested fix about the same line (one
    on it, or naming it in its evidence) are one bug: the more severe (the
    earlier) comment stays and names the other rule (``also``)."""
    kept: list[tuple[int, Finding]] = []
    for line_index, finding in sorted(items, key=lambda item: (item[0], -item[1].severity)):
        lines = {line_index, *_trace_indexes(hunk, finding)}
        twin = next((f for i, f in kept if finding.fix and f.fix == finding.fix
                     and lines & {i, *_trace_indexes(hunk, f)}), None)
        if twin is not None:
            also.setdefault(id(twin), []).append(finding)
            continue
        kept.append((line_index, finding))
    return kept


def _block_comment_end(hunk: Hunk, index: int) -> int:
    """A finding on the line that opens a ``/* ... */`` comment is about the
    whole comment: the index of its closing line (when near), else ``index``."""
    text = hunk.lines[index].text
    opened = text.find("/*")
    if opened < 0 or "*/" in text[opened + 2:]:
        return index
    side = hunk.lines[index].kind == "-"
    for later in range(index + 1, min(len(hunk.lines), index + 1 + MAX_COMMENT_LINES)):
        line = hunk.lines[later]
        if (line.kind == "-") != side and line.kind != " ":
            continue
        if "*/" in line.text:
            return later
    return index


def _trace_indexes(hunk: Hunk, finding: Finding) -> list[int]:
    """Indexes in ``hunk`` of the lines a finding's trace names."""
    found = []
    for step in finding.trace:
        if step.line is None:
            continue
        for index, line in enumerate(hunk.lines):
            number = line.old_line if step.role == "removed" else line.new_line
            if number == step.line and (line.kind == "-") == (step.role == "removed"):
                found.append(index)
                break
    return found


def _diff_text(line: DiffLine) -> str:
    return f"{line.kind}{line.text}"


def _body_line(original: Message, body_lines: list[str], mail_line: int | None) -> str | None:
    """The body line at input line ``mail_line``, when it is in the body."""
    if mail_line is None:
        return None
    index = mail_line - original.body_line
    if 0 <= index < len(body_lines):
        return body_lines[index]
    return None


def _hunk_header(original: Message, body_lines: list[str], hunk: Hunk) -> str:
    """The ``@@`` line exactly as in the mail, else rebuilt."""
    line = _body_line(original, body_lines, hunk.mail_line)
    if line is not None and line.startswith("@@"):
        return line
    section = f" {hunk.section}" if hunk.section else ""
    return f"@@ -{hunk.old_start},{hunk.old_count} +{hunk.new_start},{hunk.new_count} @@{section}"


def _file_header(original: Message, body_lines: list[str], change: FileChange) -> str:
    """The ``diff --git`` line of a file exactly as in the mail, else rebuilt."""
    first = change.hunks[0].mail_line if change.hunks else None
    if first is not None:
        index = first - original.body_line
        for i in range(min(index, len(body_lines)) - 1, max(-1, index - 12), -1):
            if body_lines[i].startswith("diff --git "):
                return body_lines[i]
    old = change.old_path or change.new_path
    new = change.new_path or change.old_path
    return f"diff --git {quoted_path(f'a/{old}')} {quoted_path(f'b/{new}')}"


#: What each step of a finding's evidence is, in words (the roles are the matchers').
STEP_WORDS = {"source": "comes from", "sink": "used", "step": "passes through", "removed": "removed"}


def _comment(finding: Finding, also: Sequence[Finding] = ()) -> list[str]:
    """The comment under a quoted line: message, evidence, fix, rule id
    (and the rules that found the same bug)."""
    out = _wrap(finding.message)
    if finding.trace:
        out += ["", "Where the value comes from and where it is used:"]
        labels = [f"  {STEP_WORDS.get(step.role, step.role)}, {_step_where(step)}: " for step in finding.trace]
        width = max(map(len, labels))
        for step, label in zip(finding.trace, labels):
            label = label.ljust(width)
            out += textwrap.wrap(" ".join(step.text.split()), width=79, initial_indent=label,
                                 subsequent_indent=" " * len(label), break_long_words=False,
                                 break_on_hyphens=False) or [label.rstrip()]
    if finding.fix:
        fix = finding.fix.rstrip()
        if "\n" in fix or fix.startswith((" ", "\t")):
            out += ["", "Suggested fix:"] + ["    " + line for line in textwrap.dedent(fix).split("\n")]
        else:
            out += [""] + _wrap(f"Suggested fix: {fix}")
    out += ["", f"[{finding.rule_id}, {finding.severity.label}]"]
    out += [f"[also {twin.rule_id}, {twin.severity.label}]" for twin in also]
    return out


def _step_where(step: TraceStep) -> str:
    return f"line {step.line}" if step.line is not None else "elsewhere"


def _wrap(text: str) -> list[str]:
    """Wrap prose at :data:`WRAP`, keeping its paragraphs."""
    lines: list[str] = []
    for number, paragraph in enumerate(text.strip().split("\n\n")):
        if number:
            lines.append("")
        lines += textwrap.wrap(" ".join(paragraph.split()), width=WRAP, break_long_words=False,
                               break_on_hyphens=False)
    return lines
