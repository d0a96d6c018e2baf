"""End to end, exactly: the bundled example series through the whole rule
pack and the reply composer gives these replies, byte for byte.

Where test_reply.py holds reply.py to its goldens with findings written by
hand, this holds what a user of ``reviewbot review examples/seed-series.mbox``
gets (with the date and rules version fixed).  A change of a rule's wording
shows here; rewrite with ``REVIEWBOT_UPDATE_GOLDEN=1`` and read the diff.
"""

from __future__ import annotations

import os

import pytest

from reviewbot.bot import reply
from reviewbot.config import load_config
from reviewbot.engine import review
from reviewbot.mail.parse import parse_input
from reviewbot.mail.series import assemble_series
from reviewbot.rules.loader import load_rules
from tests.conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "data" / "replies" / "end-to-end"
UPDATE = os.environ.get("REVIEWBOT_UPDATE_GOLDEN") == "1"
DATE = "Thu, 30 Nov 2017 09:00:00 +0000"


def replies() -> dict[str, bytes]:
    config = load_config()
    rules = load_rules(config)
    messages, errors = parse_input((EXAMPLES / "seed-series.mbox").read_bytes(), source="seed-series.mbox")
    assert not errors
    (series,), _ = assemble_series(messages)
    out = {}
    for patch_review in review(series, rules, config).patches:
        message = reply.compose(patch_review, series, config.bot, rules_version="golden", date=DATE)
        if message is not None:
            out[f"patch-{patch_review.patch.tags.index}.eml"] = message.as_bytes()
    return out


def test_the_example_series_gets_exactly_these_replies() -> None:
    got = replies()
    assert sorted(got) == ["patch-1.eml", "patch-3.eml"]  # the clean patches get no mail
    if UPDATE or not GOLDEN.exists():
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, data in got.items():
            (GOLDEN / name).write_bytes(data)
        if not UPDATE:
            pytest.fail(f"{GOLDEN} did not exist; written, read it and commit it")
    assert sorted(p.name for p in GOLDEN.glob("*.eml")) == sorted(got)
    for name, data in got.items():
        assert data.decode("utf-8") == (GOLDEN / name).read_text(encoding="utf-8"), name
