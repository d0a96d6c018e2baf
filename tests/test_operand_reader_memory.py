"""The operand reader's refusals keep nothing alive: it raises one
exception instance, and a raise extends the traceback an instance already
has, so each refusal used to keep every frame the instance had gone
through, with their locals (a review of a 200 MB mbox kept the suggestion
rows of every reply this way)."""

from __future__ import annotations

import gc
import weakref

from reviewbot.asm.operands import read_operand


class _Big:
    """A local that must be freed once its function returns."""


def _refuse_with_a_local(text: str) -> weakref.ref:
    local = _Big()
    assert read_operand(text) is None
    return weakref.ref(local)


def test_a_refused_operand_keeps_no_frame_alive() -> None:
    refs = [_refuse_with_a_local(text) for text in ("[x1", "(x0", "x0 #3", "MASK(x", "#", "[x1]]")]
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_many_refusals_leave_no_traceback_behind() -> None:
    for n in range(200):
        read_operand(f"[x{n % 30}")
    from reviewbot.asm import operands

    assert operands._FAIL.__traceback__ is None
