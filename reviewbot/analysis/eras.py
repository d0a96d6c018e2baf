"""How sure the engine is of a patch's kernel era.

Two questions the kernel ranges of rules raise on real mail:

- A series can itself bring in what a rule's range depends on (hyp
  relocations, the hyp per-cpu offset); that patch and the ones after it
  are judged by the kernel the series makes, not by the one before it.
- An era guessed from a mail date is a guess: a patch mailed during the
  5.11 release candidates may well be meant for 5.12.  Near a rule's
  bound the guess decides the finding, so the engine says less there.

Pure: patches and configuration in, versions and booleans out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewbot.analysis.context import path_matches
from reviewbot.analysis.kernels import RELEASES, Era, KernelVersion
from reviewbot.config import Capability

#: The origin an era has when it was only guessed from the mail's date.
MAIL_DATE = "mail date"


def brought_in(files: Iterable, capabilities: Iterable[Capability]) -> tuple[KernelVersion, str] | None:
    """The newest kernel a patch's added lines bring in, with what does it
    (``(5.12, "hyp relocations (gen-hyprel)")``), or None."""
    best: tuple[KernelVersion, str] | None = None
    changes = list(files)
    for capability in capabilities:
        version = KernelVersion.parse(capability.kernel)
        if best is not None and version <= best[0]:
            continue
        added = re.compile(capability.added)
        for change in changes:
            path = change.new_path or change.path
            if path and path_matches(path, (capability.path,)) and any(
                    line.kind == "+" and added.search(line.text) for hunk in change.hunks for line in hunk.lines):
                best = (version, capability.what)
                break
    return best


def series_era(era: Era, brought: tuple[KernelVersion, str] | None) -> Era:
    """``era``, moved forward to what an earlier (or this) patch of the
    series brought in."""
    if brought is None or (era.version is not None and era.version >= brought[0]):
        return era
    return Era(brought[0], f"series brings in {brought[1]}")


def _neighbours(version: KernelVersion) -> tuple[KernelVersion, ...]:
    versions = [v for v, _ in RELEASES]
    if version not in versions:
        return (KernelVersion(version.major, version.minor - 1), KernelVersion(version.major, version.minor + 1))
    i = versions.index(version)
    after = versions[i + 1] if i + 1 < len(versions) else KernelVersion(version.major, version.minor + 1)
    return tuple(v for v in (versions[i - 1] if i else None, after) if v is not None)


def guessed_near(era: Era, ranges: Iterable[str]) -> str | None:
    """When ``era`` is only a mail-date guess and moving it one release
    either way changes whether one of ``ranges`` holds: that range (the
    finding hangs on the guess); else None."""
    if era.origin != MAIL_DATE or era.version is None:
        return None
    for spec in ranges:
        here = era.satisfies(spec)
        if any(Era(other).satisfies(spec) != here for other in _neighbours(era.version)):
            return spec
    return None
