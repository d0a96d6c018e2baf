"""Code that reviewers suggest in their replies, with the context it belongs to.  Pure.

A reply's unquoted lines that read as code are a suggestion: a block of
arm64 assembly (two statements or more, or one unmistakable instruction
such as ``mrs x1, tpidr_el2``; pasted objdump lines count), a block of C
(statements ending in ``;``), or the added lines of a diff the reviewer
wrote.  Quoted (``>``) diff lines are the patch under review and are never
suggestions.  The quoted hunk above a suggestion gives its context: the
file (from quoted ``diff --git``/``+++`` lines, else the patch of the thread
that the quoted lines come from, however many replies up), and the lines
before it (the enclosing ``.macro``, section, function, ``#if``), which
become the preamble of a small virtual file the engine can review.

    for s in find_suggestions(reply, thread):   # thread: msgid -> Message
        s.path, s.text, s.lines                  # lines: virtual line -> input line

Why this module is long: what reads as code and the context it belongs
to are both read off the same rows of a reply (quote depth, diff markers,
the hunk above), in one pass; split, the two halves would share every
private helper.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reviewbot.asm.ast import Directive, Instruction, Label, MacroDef, MacroEnd
from reviewbot.asm.mnemonics import is_instruction
from reviewbot.asm.parser import parse
from reviewbot.model import Message
from reviewbot.records import record

_QUOTE = re.compile(r"^((?:[ \t]?>)+)[ \t]?")
_DIFF_HEADER = re.compile(r"^(diff --git a/\S+ b/(?P<git>\S+)|\+\+\+ (b/)?(?P<plus>\S+)|@@ -\d+(,\d+)? \+\d+(,\d+)? @@.*|index [0-9a-f]+\.\.[0-9a-f]+.*|--- (a/\S+|/dev/null))\s*$")
_DIFF_BODY = re.compile(r"^([-+ \\]|$)")
# kernel assembler macros that reviewers write like instructions
_KERNEL_MACROS = frozenset("""
adr_l ldr_l str_l adr_this_cpu ldr_this_cpu hyp_adr_this_cpu hyp_ldr_this_cpu kern_hyp_va hyp_kimg_va
get_host_ctxt get_vcpu_ptr get_loaded_vcpu set_loaded_vcpu msr_s mrs_s mov_q alternative_cb
alternative_if alternative_else alternative_endif alternative_if_not save_callee_saved_regs
restore_callee_saved_regs
""".split())
_SYSREG_ACCESS = frozenset({"msr", "mrs", "msr_s", "mrs_s"})
# instructions written without operands ("AND" alone is a word, "eret" alone is code)
_NO_OPERANDS = frozenset("""
ret eret isb nop wfi wfe sev sevl yield csdb sb esb psb drps clrex xpaclri autiasp autibsp paciasp
pacibsp autiaz pacia1716 ssbb pssbb dgh smstart smstop tcommit
""".split())
_C_STATEMENT = re.compile(r"^\s*(?:[A-Za-z_][\w\s\*&\->.\[\]]*(?:=|\()|return\b|if\s*\(|for\s*\(|while\s*\(|\}|\{|#\s*(?:if|ifdef|ifndef|else|endif|define)\b)"
                          r".*?(?:[;{}]|\\)?\s*(?://.*|/\*.*\*/)?$")
_C_CALL_END = re.compile(r"\w\s*\(.*\)\s*;\s*(?://.*|/\*.*\*/)?$")
_LONGEST_CODE_LINE = 300  # longer lines are not code anyone pastes (and keep the regexes linear)
_PROSE_END = re.compile(r"[.?!:,]\s*$|[.?!]\s+[A-Z]")
_FUNC_START = re.compile(r"^\s*(SYM_FUNC_START\w*|SYM_CODE_START\w*|ENTRY|__HYP_FUNC)\s*\(")
_FUNC_END = re.compile(r"^\s*(SYM_FUNC_END\w*|SYM_CODE_END\w*|END|ENDPROC)\s*\(")


@record
class Suggestion:
    """Code written in a reply, as a virtual file.  ``path`` is the tree file
    it belongs to (None when no quoted hunk or thread patch says), and
    ``virtual_path`` the name it is reviewed under (same directory, so hyp
    or not holds; the extension of its language).  ``lines[i]`` is the
    input line of line ``i + 1`` of ``text``, None for preamble lines taken
    from the quoted context.  ``depth`` is the quote depth it was written
    at (0: by the reply's author)."""

    msgid: str | None
    language: str  # "arm64-asm" or "c"
    text: str
    lines: tuple[int | None, ...]
    virtual_path: str
    path: str | None = None
    macro: str | None = None
    origin: str = "none"  # where the path came from: quoted diff, thread patch, own diff, none
    depth: int = 0

    @property
    def code(self) -> tuple[str, ...]:
        """The suggested lines alone (no preamble)."""
        rows = self.text.split("\n")
        return tuple(rows[i] for i, line in enumerate(self.lines) if line is not None)


@record
class _Row:
    depth: int
    text: str
    line: int  # input line
    diff: bool = False
    path: str | None = None  # for diff rows: the file of their diff


def find_suggestions(message: Message, thread: Mapping[str, Message] | None = None, *,
                     quoted: bool = False) -> tuple[Suggestion, ...]:
    """The suggestions in ``message``: code at quote depth 0, or at every
    depth with ``quoted`` (a pasted thread, whose earlier mails are not
    there on their own).  ``thread`` maps message ids to the messages of
    the thread, to find the patch a reply's quoted lines come from."""
    rows = _rows(message)
    found: list[Suggestion] = []
    depths = sorted({r.depth for r in rows}) if quoted else [0]
    for depth in depths:
        if depth == 0:  # a quoted diff is the patch, not a suggestion
            for block in _own_diff_blocks(rows, depth):
                found.append(_from_own_diff(message, block))
        for block, language in _code_blocks(rows, depth):
            found.append(_from_block(message, rows, block, language, thread or {}))
    found.sort(key=lambda s: next((n for n in s.lines if n is not None), 0))
    return tuple(found)


# --- rows ---------------------------------------------------------------------------------


def _rows(message: Message) -> list[_Row]:
    rows: list[_Row] = []
    in_diff: dict[int, str | None] = {}  # depth -> path of the diff being read
    seen_diff: dict[int, str | None] = {}
    for index, raw in enumerate(message.body.split("\n")):
        match = _QUOTE.match(raw)
        depth = match.group(1).count(">") if match else 0
        text = raw[match.end():] if match else raw
        text = text.replace("\xa0", " ").rstrip()  # mail clients turn indentation into no-break spaces
        row = _Row(depth, text, message.body_line + index)
        header = _DIFF_HEADER.match(text)
        if header:
            path = header.group("git") or header.group("plus")
            if path and path != "/dev/null":
                in_diff[depth] = seen_diff[depth] = path
            else:
                in_diff[depth] = seen_diff[depth] = in_diff.get(depth) or seen_diff.get(depth)
            row = _Row(depth, text, row.line, True, in_diff[depth])
        elif depth in in_diff and _DIFF_BODY.match(text):
            row = _Row(depth, text, row.line, True, in_diff[depth])
        else:
            in_diff.pop(depth, None)
            if depth in seen_diff and text[:1] in "+-" and text[:2] not in ("--", "++"):
                row = _Row(depth, text, row.line, True, seen_diff[depth])
            elif depth > 0 and text[:1] == "+" and text[:2] != "++":
                row = _Row(depth, text, row.line, True)  # a quoted hunk whose header was cut
        rows.append(row)
    return rows


# --- what reads as code -------------------------------------------------------------------


def _asm_statement(text: str):
    """The statement a line is, when it reads as assembly and not prose;
    else None.  A comment-only line gives ``"comment"``."""
    stripped = text.strip()
    if not stripped or len(stripped) > _LONGEST_CODE_LINE:
        return None
    if stripped.startswith(("//", "/*", "* ", "*/")) or stripped == "*":
        return "comment"
    try:
        statements = parse(stripped)
    except Exception:  # noqa: BLE001 - a line the parser cannot take is prose
        return None
    if len(statements) != 1:
        return None
    stmt = statements[0]
    if isinstance(stmt, (Label, MacroDef, MacroEnd)):
        return stmt
    if isinstance(stmt, Directive):
        return stmt if stripped.startswith(".") else None
    if not isinstance(stmt, Instruction):
        return None
    mnemonic = stmt.mnemonic.lower()
    if not (is_instruction(mnemonic) or mnemonic in _KERNEL_MACROS
            or any(type(op).__name__ == "MacroArg" for op in stmt.operands)):
        return None
    kinds = [type(op).__name__ for op in stmt.operands]
    if not kinds and mnemonic not in _NO_OPERANDS:
        return None
    if kinds.count("Symbol") > 1 and not any(k in ("Register", "SysReg", "MacroArg") for k in kinds):
        return None  # "add a comment here": English words for operands
    if len(stmt.operands) > 1 and "," not in stripped:
        return None
    if _PROSE_END.search(stripped) and not stripped.endswith(":"):
        return None
    return stmt


def _unmistakable(stmt) -> bool:
    """One instruction that is code even alone: a system register access
    with a register and a system register, or an instruction of two
    operands or more of which one is a register."""
    if not isinstance(stmt, Instruction):
        return False
    kinds = {type(op).__name__ for op in stmt.operands}
    if stmt.mnemonic.lower() in _SYSREG_ACCESS:
        return "SysReg" in kinds and bool(kinds & {"Register", "MacroArg"})
    return len(stmt.operands) >= 2 and bool(kinds & {"Register", "MacroArg"}) and "Symbol" not in kinds


def _c_line(text: str) -> bool:
    stripped = text.strip()
    if not stripped or len(stripped) > _LONGEST_CODE_LINE or not _C_STATEMENT.match(stripped):
        return False
    if stripped.endswith((";", "{", "}", "\\")) or stripped.startswith(("#", "}", "{")):
        return not re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}", stripped) \
            or bool(re.match(r"^\s*(static|struct|unsigned|const|u\d+|int|void|bool|#)", stripped))
    return False


def _code_blocks(rows: list[_Row], depth: int) -> list[tuple[list[_Row], str]]:
    """Runs of code lines at ``depth`` (blank lines inside a run allowed)
    that are a suggestion, each with its language."""
    blocks: list[tuple[list[_Row], str]] = []
    run: list[tuple[_Row, object, bool]] = []

    def close() -> None:
        while run and not run[-1][0].text.strip():
            run.pop()
        if run:
            decided = _decide(run)
            if decided:
                blocks.append(([r for r, _, _ in run], decided))
        run.clear()

    for row in rows:
        if row.depth != depth or row.diff:
            if row.depth == depth or row.text.strip():
                close()
            continue
        if not row.text.strip():
            if run:
                run.append((row, None, False))
            continue
        text = row.text[1:] if depth == 0 and row.text.startswith("+") and not row.text.startswith("++") else row.text
        stmt = _asm_statement(text)
        c = stmt is None and _c_line(text)
        if stmt is None and not c:
            close()
            continue
        run.append((row, stmt, c))
    close()
    return blocks


def _decide(run: list[tuple[_Row, object, bool]]) -> str | None:
    instructions = [s for _, s, _ in run if isinstance(s, Instruction)]
    c_lines = [r for r, _, c in run if c]
    if len(c_lines) > len(instructions):
        return "c" if any(_C_CALL_END.search(r.text) for r in c_lines) else None
    if len(instructions) >= 2 or any(_unmistakable(s) for s in instructions):
        return "arm64-asm"
    return None


def _own_diff_blocks(rows: list[_Row], depth: int) -> list[list[_Row]]:
    """Hunks of a diff the reply's author wrote (at ``depth``) that add lines."""
    blocks: list[list[_Row]] = []
    current: list[_Row] = []
    for row in rows:
        if row.depth == depth and row.diff and row.text.startswith("@@"):
            if current:
                blocks.append(current)
            current = [row]
        elif row.depth == depth and row.diff and current and not _DIFF_HEADER.match(row.text):
            current.append(row)
        elif row.depth == depth and current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [b for b in blocks if any(r.text.startswith("+") for r in b)]


# --- context ------------------------------------------------------------------------------


def _from_own_diff(message: Message, block: list[_Row]) -> Suggestion:
    path = block[0].path
    section = block[0].text.split("@@", 2)[-1].strip()
    texts: list[str] = []
    lines: list[int | None] = []
    for row in block[1:]:
        if row.text.startswith("-") or row.text.startswith("\\"):
            continue
        texts.append(row.text[1:])
        lines.append(row.line if row.text.startswith("+") else None)
    language = "c" if (path or "").endswith(".c") else "arm64-asm"
    context = [section] if section.startswith(".macro") else []
    return _virtual(message, language, texts, lines, path, context, "own diff", block[0].depth)


def _from_block(message: Message, rows: list[_Row], block: list[_Row], language: str,
                thread: Mapping[str, Message]) -> Suggestion:
    depth = block[0].depth
    start = rows.index(block[0])
    quoted = _quoted_hunk_above(rows, start, depth)
    path = next((r.path for r in reversed(quoted) if r.path), None)
    context = [_strip_marker(r.text) for r in quoted if not _DIFF_HEADER.match(r.text) or r.text.startswith("@@")]
    origin = "quoted diff" if path else "none"
    if path is None and quoted:
        found = _from_thread(message, [_strip_marker(r.text) for r in quoted], thread)
        if found is not None:
            path, context = found
            origin = "thread patch"
    texts = [r.text[1:] if depth == 0 and r.text.startswith("+") and not r.text.startswith("++") else r.text
             for r in block]
    return _virtual(message, language, texts, [r.line for r in block], path, context, origin, depth)


def _quoted_hunk_above(rows: list[_Row], start: int, depth: int) -> list[_Row]:
    """The quoted diff rows (deeper than ``depth``) of the hunk nearest above
    row ``start``, from its ``@@`` line (comments of other mails between
    them skipped); empty when nothing above is a quoted diff."""
    end = start
    while end > 0 and not (rows[end - 1].depth > depth and rows[end - 1].diff):
        end -= 1
    if end == 0:
        return []
    level = rows[end - 1].depth
    hunk: list[_Row] = []
    for row in reversed(rows[:end]):
        if row.depth != level or not row.diff:
            continue
        if _DIFF_HEADER.match(row.text) and not row.text.startswith("@@"):
            break
        hunk.append(row)
        if row.text.startswith("@@"):
            break
    hunk.reverse()
    # the path, when the diff header is further up than this hunk
    path = next((r.path for r in reversed(rows[:end]) if r.depth == level and r.diff and r.path), None)
    if path and not any(r.path for r in hunk):
        hunk = [_Row(level, r.text, r.line, r.diff, path) for r in hunk]
    return hunk


def _strip_marker(text: str) -> str:
    if text.startswith("@@"):
        return text.split("@@", 2)[-1].strip()
    return text[1:] if text[:1] in "+- " else text


def _from_thread(message: Message, quoted: list[str], thread: Mapping[str, Message]
                 ) -> tuple[str, list[str]] | None:
    """The file (and the hunk lines up to the quoted ones) of the thread's
    patch that the quoted lines come from, walking up In-Reply-To and
    References to the first message with a diff."""
    from reviewbot.mail.series import has_diff, to_patch

    wanted = [_norm(t) for t in quoted if _norm(t)]
    if not wanted:
        return None
    for msgid in _ancestors(message, thread):
        parent = thread.get(msgid)
        if parent is None or not has_diff(parent):
            continue
        patch = to_patch(parent)
        if patch is None or patch.error:
            return None
        for change in patch.files:
            for hunk in change.hunks:
                texts = [line.text for line in hunk.lines if line.kind != "-"]
                normed = [_norm(t) for t in texts]
                last = _last_match(normed, wanted[-1])
                if last is not None and sum(w in normed for w in wanted) * 2 >= len(wanted):
                    return change.path, [hunk.section] + texts[: last + 1]
        return None
    return None


def thread_patches(message: Message, thread: Mapping[str, Message]) -> list[Message]:
    """The messages with a diff that ``message`` answers, nearest first."""
    from reviewbot.mail.series import has_diff

    return [thread[m] for m in _ancestors(message, thread) if m in thread and has_diff(thread[m])]


def _ancestors(message: Message, thread: Mapping[str, Message]) -> list[str]:
    """In-Reply-To, then up the chain of parents, then References newest first."""
    order: list[str] = []
    current = message
    for _ in range(20):
        parent = current.in_reply_to or (current.references[-1] if current.references else None)
        if parent is None or parent in order:
            break
        order.append(parent)
        if parent not in thread:
            break
        current = thread[parent]
    order.extend(r for r in reversed(message.references) if r not in order)
    return order


def _norm(text: str) -> str:
    return " ".join(text.split())


def _last_match(normed: list[str], wanted: str) -> int | None:
    for i in range(len(normed) - 1, -1, -1):
        if normed[i] == wanted:
            return i
    return None


def _virtual(message: Message, language: str, texts: list[str], lines: list[int | None],
             path: str | None, context: list[str], origin: str, depth: int) -> Suggestion:
    """The suggestion as a file: the context's open ``#if``, section,
    function and ``.macro`` first, then the code, then what closes them."""
    virtual_path = _virtual_path(path, language)
    pre: list[str] = []
    post: list[str] = []
    macro = None
    if language == "arm64-asm":
        guards, section, function, macro_line = _open_context(context)
        own_macro = any(t.strip().startswith(".macro") for t in texts)
        if virtual_path.endswith(".h"):
            pre.append("#ifdef __ASSEMBLY__")
            post.append("#endif")
        pre.extend(guards)
        post.extend("#endif" for _ in guards)
        if section:
            pre.append(section)
        if function:
            pre.append(function)
        if macro_line and not own_macro:
            pre.append(macro_line)
            post.insert(0, ".endm")
            macro = macro_line.split()[1].rstrip(",") if len(macro_line.split()) > 1 else None
        elif own_macro:
            first = next(t for t in texts if t.strip().startswith(".macro")).split()
            macro = first[1].rstrip(",") if len(first) > 1 else None
    all_texts = pre + texts + post
    all_lines: list[int | None] = [None] * len(pre) + list(lines) + [None] * len(post)
    return Suggestion(msgid=message.msgid, language=language, text="\n".join(all_texts) + "\n",
                      lines=tuple(all_lines), virtual_path=virtual_path, path=path, macro=macro,
                      origin=origin, depth=depth)


def _virtual_path(path: str | None, language: str) -> str:
    if path is None:
        return "suggestion.S" if language == "arm64-asm" else "suggestion.c"
    stem, dot, ext = path.rpartition(".")
    if language == "arm64-asm" and ext not in ("S", "s", "h"):
        return f"{stem or path}.S"
    if language == "c" and ext not in ("c", "h"):
        return f"{stem or path}.c"
    return path


def _open_context(context: list[str]) -> tuple[list[str], str | None, str | None, str | None]:
    """What is still open at the end of ``context``: ``#if`` lines, the
    section directive, the function start and the ``.macro`` line."""
    guards: list[str] = []
    section = function = macro = None
    for text in context:
        stripped = text.strip()
        if re.match(r"#\s*if", stripped):
            guards.append(stripped)
        elif re.match(r"#\s*endif", stripped) and guards:
            guards.pop()
        elif stripped.startswith((".pushsection", ".section")):
            section = stripped
        elif stripped.startswith(".popsection"):
            section = None
        elif stripped.startswith(".macro"):
            macro = stripped
        elif stripped.startswith(".endm"):
            macro = None
        elif _FUNC_START.match(stripped):
            function = stripped
        elif _FUNC_END.match(stripped):
            function = None
    guards = [g for g in guards if "__ASSEMBLY__" not in g]
    return guards, section, function, macro
