"""Every regex that reads mail or patch text, fed the input that drives it
into its worst backtracking (long lines, many repeats, nested near-misses):
the result must be right.  No time is asserted here; ``bench/bench_redos.py``
measures how the time grows with the size (linear, since the fixes)."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redos_cases import CASES

SIZE = 20_000  # large enough that a quadratic regex takes minutes, a cubic one days


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_adversarial_input_gives_the_right_result(case):
    for n in (10, SIZE):
        assert case.check(case.run(case.build(n)), n), f"{case.name} at size {n}"


OLD_SIGNATURE = re.compile(r"^-- \n(?:.*\n?){0,3}\Z", re.MULTILINE)


@settings(max_examples=2000, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(["-- \n", "\n", "a", "-- ", "--\n", "x\n", " ", "\r"]), max_size=12).map("".join))
def test_the_signature_is_found_as_the_old_regex_found_it(text):
    from reviewbot.mail.diff import _strip_signature

    match = OLD_SIGNATURE.search(text)  # short inputs: the old regex is fast on them
    assert _strip_signature(text) == (text[: match.start()] if match else text)


def test_every_short_signature_shape_agrees_with_the_old_regex():
    from reviewbot.mail.diff import _strip_signature

    for k in range(7):
        for parts in itertools.product(["-- \n", "\n", "a", "x\n"], repeat=k):
            text = "".join(parts)
            match = OLD_SIGNATURE.search(text)
            assert _strip_signature(text) == (text[: match.start()] if match else text), repr(text)


def test_ignore_lines_read_as_before_on_ordinary_notes():
    from reviewbot.engine import _IGNORE_LINE

    notes = "v2: x\n  reviewbot-ignore: arm64.hyp.x  the reason \nreviewbot-ignore:\tc.y\n"
    assert [m.groups() for m in _IGNORE_LINE.finditer(notes)] == [("arm64.hyp.x", "the reason "), ("c.y", "")]
