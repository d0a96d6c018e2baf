"""Review the code of a reply (:mod:`reviewbot.mail.suggestions`).  Pure.

Each suggestion is reviewed as its small virtual file by the rules marked
for suggestions (``metadata: {suggestions: true}``: operand order,
read-only and write-only registers, EL1 registers in hyp code; never a
style advisory: a sketch in a maintainer's reply is not held to a patch's
standard), and the findings are moved to the lines of the reply: ``path``
is the reply (its source), ``line`` the input line, and the message says
which file the code belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from hashlib import sha256

from reviewbot import engine
from reviewbot.analysis.kernels import Era, KernelVersion, version_from_mail_date
from reviewbot.mail.suggestions import Suggestion, find_suggestions
from reviewbot.model import Finding, Message, Patch, PatchReview, Series, SeriesReview
from reviewbot.records import record, replace
from reviewbot.rules.loader import RuleSet

#: the rule metadata key that lets a rule speak on suggested code
SUGGESTIONS_FLAG = "suggestions"


@record
class ReplyReview:
    """The suggestions of one reply and the findings on them."""

    message: Message
    suggestions: tuple[Suggestion, ...] = ()
    findings: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()


def suggestion_rules(rules: RuleSet) -> RuleSet:
    """The rules that speak on suggestions (``metadata.suggestions: true``)."""
    return RuleSet(tuple(r for r in rules if r.metadata.get(SUGGESTIONS_FLAG) is True))


def review_reply(message: Message, thread: Mapping[str, Message], rules: RuleSet, config, *,
                 quoted: bool = False, every_rule: bool = False) -> ReplyReview:
    """Find the suggestions of ``message`` and review each with the
    suggestion rules of ``rules`` (``every_rule``: all of them, to measure
    what the others would say); a crash is a problem of this reply."""
    try:
        suggestions = find_suggestions(message, thread, quoted=quoted)
    except Exception as exc:  # noqa: BLE001 - one reply must not stop the others
        return ReplyReview(message, problems=(f"{message.source}: reading the reply's code failed: "
                                              f"{type(exc).__name__}: {exc}",))
    if not suggestions:
        return ReplyReview(message)
    suggestions = tuple(_hyp_by_use(s, message, thread, config) for s in suggestions)
    selected = rules if every_rule else suggestion_rules(rules)
    if not len(selected):
        return ReplyReview(message, suggestions)
    era = _era(message, config)
    findings: list[Finding] = []
    problems: list[str] = []
    for suggestion in suggestions:
        try:
            review = engine.review_file(suggestion.virtual_path, suggestion.text, selected, config, era=era)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{message.source}: reviewing the code at line "
                            f"{_first_line(suggestion)} failed: {type(exc).__name__}: {exc}")
            continue
        problems.extend(f"{message.source}: {p}" for p in review.problems)
        findings.extend(_on_reply(f, suggestion, message) for f in review.findings
                        if _reply_line(f, suggestion) is not None)
    findings.sort(key=lambda f: (f.line or 0, -f.severity, f.rule_id))
    return ReplyReview(message, suggestions, tuple(findings), tuple(problems))


def _hyp_by_use(suggestion: Suggestion, message: Message, thread: Mapping[str, Message],
                config) -> Suggestion:
    """A suggestion for a macro that the thread's patch invokes from hyp
    code is hyp code, wherever the macro is defined (a header such as
    kvm_asm.h): it is reviewed inside a hyp section."""
    from reviewbot.analysis.context import path_matches
    from reviewbot.mail.series import to_patch
    from reviewbot.mail.suggestions import thread_patches

    hyp_paths = tuple(config.context.hyp_paths)
    if suggestion.macro is None or path_matches(suggestion.virtual_path, hyp_paths):
        return suggestion
    for parent in thread_patches(message, thread):
        patch = to_patch(parent)
        for change in patch.files if patch is not None else ():
            if not path_matches(change.path, hyp_paths):
                continue
            if any(line.kind != "-" and line.text.split()[:1] == [suggestion.macro]
                   for hunk in change.hunks for line in hunk.lines):
                section = config.context.hyp_sections[0] if config.context.hyp_sections else ".hyp.text"
                return _in_section(suggestion, section)
    return suggestion


def _in_section(suggestion: Suggestion, section: str) -> Suggestion:
    """The suggestion inside ``.pushsection SECTION`` (within the
    ``#ifdef __ASSEMBLY__`` of a header, where assembly is read)."""
    rows = suggestion.text.rstrip("\n").split("\n")
    lines = list(suggestion.lines)
    inner = 1 if rows and rows[0] == "#ifdef __ASSEMBLY__" else 0
    end = len(rows) - inner
    rows = [*rows[:inner], f".pushsection {section}", *rows[inner:end], ".popsection", *rows[end:]]
    lines = [*lines[:inner], None, *lines[inner:end], None, *lines[end:]]
    return replace(suggestion, text="\n".join(rows) + "\n", lines=tuple(lines))


def _era(message: Message, config) -> Era:
    if config.context.kernel:
        return Era(KernelVersion.parse(str(config.context.kernel)), "config")
    version = version_from_mail_date(message.date)
    return Era(version, "mail date") if version is not None else Era(None)


def _reply_line(finding: Finding, suggestion: Suggestion) -> int | None:
    line = finding.line
    if line is None or not 0 < line <= len(suggestion.lines):
        return None
    return suggestion.lines[line - 1]


def _first_line(suggestion: Suggestion) -> int:
    return next((n for n in suggestion.lines if n is not None), 0)


def _on_reply(finding: Finding, suggestion: Suggestion, message: Message) -> Finding:
    line = _reply_line(finding, suggestion)
    where = suggestion.path or "a file the reply does not name"
    if suggestion.macro:
        where += f", macro {suggestion.macro}"
    who = "code suggested in this reply" if suggestion.depth == 0 else \
        f"code quoted at depth {suggestion.depth} (an earlier mail of the thread)"
    key = f"{finding.rule_id}\0{message.msgid or message.source}\0{' '.join(finding.snippet.split())}"
    return replace(finding, path=message.source, line=line, mail_line=line, old_line=None,
                   message=f"{finding.message} [{who}, for {where}]",
                   source=message.source, msgid=message.msgid, trace=(),
                   fingerprint=sha256(key.encode()).hexdigest()[:16],
                   extra=(("file", suggestion.path or ""), ("suggestion-origin", suggestion.origin),
                          ("quote-depth", str(suggestion.depth))))


def as_patch_review(done: ReplyReview) -> PatchReview:
    """A reply's review in the shape the reply composer and the outbox take:
    the reply stands where a patch would (its findings quote its own
    lines), so the answer goes to the reviewer, Cc the thread, under the
    same opt-in and dedupe rules as patch replies."""
    from reviewbot.mail.series import parse_subject

    patch = Patch(message=done.message, tags=parse_subject(done.message.subject), commit_message="",
                  files=())
    return PatchReview(patch=patch, findings=done.findings, problems=done.problems)


def queue_replies(queue, reviews: Iterable[ReplyReview]) -> int:
    """Hand the reply reviews with findings to ``queue`` (a ReplyQueue, or
    the watcher's outbox); returns how many replies were queued."""
    queued = 0
    for done in reviews:
        if done.findings:
            patch_review = as_patch_review(done)
            queued += int(queue.queue(SeriesReview(series=Series(patches=()), patches=(patch_review,)),
                                      [patch_review]) or 0)
    return queued
