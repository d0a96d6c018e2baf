"""Follow one C name through the rest of its function body, without a parser.

``regex: {follow-in-function: ...}`` asks what happens to a name a line
bound (``DECLARE_REG(struct kvm_vcpu *, vcpu, host_ctxt, 1)``) before the
function ends: is it converted (``vcpu = kern_hyp_va(vcpu)``), used as a
pointer (``vcpu->arch``), overwritten, or handed to another function whose
body this file does not show?  A fixed window of lines could not tell: real
handlers convert ten lines down, or in the callee.

The body is found by brace matching from the hit to the brace that closes
it; strings and comments are not special (kernel handlers rarely put braces
in them).  A real C parser replaces this in a later issue.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewbot.records import record

_IDENT_BEFORE_PAREN = re.compile(r"(\w+)\s*$")
_NOT_CALLS = frozenset({"if", "while", "for", "switch", "return", "sizeof", "typeof", "__typeof__", "likely",
                        "unlikely", "WARN_ON", "BUG_ON", "READ_ONCE", "WRITE_ONCE"})


@record
class FollowSpec:
    """``follow-in-function:``: which group to follow and what the rule
    calls converting it and using it (templates over the groups)."""

    name: str
    converts: str
    uses: str
    sanitizer: str | None = None  # a callee the patch defines is looked into for this conversion


@record
class Outcome:
    """What the rest of the function does with the name: ``cleared`` (the
    hit is fine), or kept, with ``unsure`` saying why it may be fine."""

    cleared: bool
    unsure: str | None = None


def body_after(lines: tuple[str, ...], line: int, column: int) -> tuple[str, bool]:
    """The text from ``column`` (0-based) of 1-based ``line`` to the brace
    that closes the enclosing block, and whether that brace was seen (False:
    the view ends inside the function)."""
    depth = 0
    out = []
    for number in range(line, len(lines) + 1):
        text = lines[number - 1][column:] if number == line else lines[number - 1]
        for i, char in enumerate(text):
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth < 0:
                    out.append(text[:i])
                    return "\n".join(out), True
        out.append(text)
    return "\n".join(out), False


def _callee(text: str, position: int) -> tuple[str, int] | None:
    """The function whose argument list holds ``position``, if any, and
    which argument (0-based) it is there."""
    depth = 0
    commas = 0
    for i in range(position - 1, -1, -1):
        char = text[i]
        if char in ";{}":
            return None
        if char == ")":
            depth += 1
        elif char == "," and depth == 0:
            commas += 1
        elif char == "(":
            if depth == 0:
                match = _IDENT_BEFORE_PAREN.search(text[:i])
                if match and match.group(1) not in _NOT_CALLS:
                    return match.group(1), commas
                return None  # a cast or a condition: keep looking outward
            depth -= 1
    return None


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def follow(spec: FollowSpec, name: str, body: str, complete: bool,
           converts: Callable[[str, int], bool | None] | None = None) -> Outcome:
    """What ``body`` (the rest of the function after the hit) does with
    ``name``; ``converts(callee, position)`` says whether a callee converts
    what it gets at that argument (True), uses it first (False), or is not
    in sight (None)."""
    value = re.escape(name)
    converted = _spans(re.compile(spec.converts.replace("$" + spec.name, value), re.MULTILINE), body)
    uses = _spans(re.compile(spec.uses.replace("$" + spec.name, value), re.MULTILINE), body)
    callees: list[tuple[str, int]] = []
    seen_to_end = complete
    for occurrence in re.finditer(rf"\b{value}\b", body):
        at = occurrence.start()
        if any(start <= at < end for start, end in converted):
            seen_to_end = True
            break  # converted before any use: fine
        if any(start <= at < end for start, end in uses):
            return Outcome(cleared=False)
        if re.match(r"\s*=(?!=)", body[occurrence.end():]):
            seen_to_end = True
            break  # overwritten: the host's value is gone
        if (callee := _callee(body, at)) is not None and callee not in callees:
            callees.append(callee)
    else:
        if not complete and not callees:
            return Outcome(cleared=False, unsure=f"the rest of the function, where {name} may be converted, "
                                                 "is not in the patch")
    unseen = [c for c, _ in callees]
    using: list[str] = []
    if callees and converts is not None:
        answers = [(c, converts(c, p)) for c, p in callees]
        unseen = [c for c, answer in answers if answer is None]
        using = [c for c, answer in answers if answer is False]
        if not unseen and not using and seen_to_end:
            return Outcome(cleared=True)  # every callee converts it first (the patch shows them)
    if using:
        named = ", ".join(f"{c}()" for c in using)
        return Outcome(cleared=False, unsure=f"{name} is handed to {named}, which uses it before converting it "
                                             "as far as the patch shows")
    if unseen:
        named = ", ".join(f"{c}()" for c in unseen)
        return Outcome(cleared=False, unsure=f"{name} is only handed to {named}, whose body this file does "
                                             "not show: check that it converts it")
    if not seen_to_end:
        return Outcome(cleared=False, unsure=f"the rest of the function, where {name} may be used, "
                                             "is not in the patch")
    return Outcome(cleared=True)
