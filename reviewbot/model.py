"""The domain values every layer passes around: frozen, slotted records (:mod:`reviewbot.records`).

A patch arrives as a :class:`Message`; the mail layer turns it into a
:class:`Patch` (its :class:`FileChange` s, each with :class:`Hunk` s of
:class:`DiffLine` s) and groups patches into a :class:`Series`; the engine
turns a series into :class:`Finding` s.
"""

from __future__ import annotations

import enum

from reviewbot.records import field, record


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``--fail-on`` is a comparison."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, name: str) -> "Severity":
        """``"error"`` -> ``Severity.ERROR``; ValueError names the choices."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {name!r} (choose from {', '.join(s.label for s in cls)})") from None

    @property
    def label(self) -> str:
        """Lower-case name, as written in rules and printed in findings."""
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure a rule is (Coccinelle's confidence levels)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @classmethod
    def parse(cls, name: str) -> "Confidence":
        """``"medium"`` -> ``Confidence.MEDIUM``; ValueError names the choices."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {name!r} (choose from low, medium, high)") from None

    @property
    def label(self) -> str:
        """Lower-case name."""
        return self.name.lower()


# --- diffs --------------------------------------------------------------------


@record
class DiffLine:
    """One line of a hunk.  ``kind`` is ``+``, ``-`` or `` `` (context);
    ``text`` is the line without its marker or newline; ``mail_line`` is the
    1-based line of this diff line in the input it came from."""

    kind: str
    text: str
    old_line: int | None
    new_line: int | None
    mail_line: int | None = None

    @property
    def added(self) -> bool:
        """True for a line the patch adds."""
        return self.kind == "+"


@record
class Hunk:
    """``@@ -old_start,old_count +new_start,new_count @@ section``."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: tuple[DiffLine, ...]
    mail_line: int | None = None


@record
class FileChange:
    """The change to one file.  Paths are tree-relative (no ``a/``/``b/``);
    ``old_path`` is None for a new file, ``new_path`` None for a deleted one;
    blobs are the abbreviated ids of the diff's ``index`` line."""

    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...]
    old_blob: str | None = None
    new_blob: str | None = None
    is_binary: bool = False

    @property
    def path(self) -> str:
        """The path the file has after the patch (before it, if deleted)."""
        return self.new_path or self.old_path or ""


# --- mail ---------------------------------------------------------------------


@record
class Message:
    """One parsed mail.  Addresses are as written (``Name <addr>``);
    ``msgid`` and the ids in ``references`` have no angle brackets;
    ``body`` is the decoded text body; ``body_line`` the 1-based line of the
    input where the body starts; ``source`` names the input."""

    msgid: str | None
    subject: str
    sender: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    date: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    body: str = ""
    body_line: int = 1
    source: str = "<input>"
    list_id: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), decoded."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@record
class SubjectTags:
    """What ``[RFC PATCH v3 01/37] KVM: arm64: Avoid ...`` says: ``prefixes``
    (``RFC``, ``PATCH``, a tree name), ``version``, ``index`` of ``total``
    and the ``title`` left after the tags."""

    title: str
    prefixes: tuple[str, ...] = ()
    version: int = 1
    index: int | None = None
    total: int | None = None

    @property
    def is_patch(self) -> bool:
        """True when the subject is tagged as a patch."""
        return any("PATCH" in p.upper() for p in self.prefixes)


@record
class Patch:
    """A patch: its message, subject tags, commit message, the notes below
    ``---`` (where ``reviewbot-ignore:`` lines live) and the file changes.
    ``error`` says why the diff could not be read; such a patch is reported,
    not reviewed."""

    message: Message
    tags: SubjectTags
    commit_message: str
    files: tuple[FileChange, ...]
    notes: str = ""
    base_commit: str | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        """How a user recognises this patch in output: its source, and its
        subject when it has one."""
        return self.message.source


@record
class Series:
    """Patches of one series revision, in order, with the cover letter
    (``[PATCH 0/N]``) when there is one."""

    patches: tuple[Patch, ...]
    cover: Message | None = None
    version: int = 1
    total: int | None = None

    @property
    def title(self) -> str:
        """The cover letter's title, else the first patch's."""
        if self.cover is not None:
            return self.cover.subject
        return self.patches[0].message.subject if self.patches else ""


# --- findings -----------------------------------------------------------------


@record
class TraceStep:
    """One step of a dataflow finding's evidence: ``role`` is ``source``,
    ``step``, ``sink`` or ``removed`` (a sanitizer the patch deletes)."""

    role: str
    line: int | None
    text: str


@record
class Finding:
    """What a rule found.  ``line`` is the line in the new file (``old_line``
    for a finding on a removed line); ``path`` is None for a finding about
    the patch as a whole (commit message); ``mail_line`` is the line of the
    input mail; ``snippet`` the source line as written; ``fingerprint`` is
    stable across revisions that do not change the finding's code."""

    rule_id: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    old_line: int | None = None
    mail_line: int | None = None
    confidence: Confidence = Confidence.MEDIUM
    snippet: str = ""
    fix: str | None = None
    trace: tuple[TraceStep, ...] = ()
    fix_safety: str = "display-only"  # the rule's: only "safe" fixes are applied by check --fix
    end_column: int | None = None  # where the matched text ends on the line (what a fix replaces)
    fingerprint: str = ""
    source: str = ""  # the input (patch file, message) the finding is in
    msgid: str | None = None
    suppressed: str | None = None  # why, when a suppression matched
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def location(self) -> str:
        """``path:line`` (or the input's name for a patch-level finding)."""
        if self.path is None:
            return self.source or "<patch>"
        line = self.line if self.line is not None else self.old_line
        return f"{self.path}:{line}" if line is not None else self.path


# --- reviews -------------------------------------------------------------------


@record
class PatchReview:
    """The findings on one patch, and what could not be reviewed in it
    (``problems``: a diff that could not be read, a rule that crashed)."""

    patch: Patch
    findings: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()
    #: the problems the input caused (lines nested too deeply or too long to
    #: check), not reviewbot: reported like malformed input, not as crashes
    unchecked: tuple[str, ...] = ()
    kernel: str | None = None  # the kernel the patch was judged for ("5.10"), None when unknown
    kernel_origin: str = ""  # how that was learnt: tree, base-commit ..., config, mail date, ...


@record
class SeriesReview:
    """A series and the review of each of its patches, in order."""

    series: Series
    patches: tuple[PatchReview, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every patch."""
        return tuple(f for p in self.patches for f in p.findings)
