"""Kernel versions and eras: which kernel a patch is for (from the tree's
Makefile, a base commit, the configuration, or last the mail's date), and
whether a rule's kernel range holds for it.  Imports nothing of reviewbot
but records, so the configuration can check versions without a cycle."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from reviewbot.records import record


@record(order=True)
class KernelVersion:
    """``major.minor`` of a kernel."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> "KernelVersion":
        """``"5.10"``, ``"v5.10.3"``, ``"5.10-rc2"`` -> 5.10; ValueError otherwise."""
        match = re.match(r"^v?(\d+)\.(\d+)", text.strip())
        if not match:
            raise ValueError(f"not a kernel version: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


#: Mainline release dates (facts of kernel history), to date a patch that
#: names no base: a patch mailed on a day applies to the latest release then.
_RELEASES = """
4.0 2015-04-12 4.1 2015-06-21 4.2 2015-08-30 4.3 2015-11-01 4.4 2016-01-10 4.5 2016-03-13
4.6 2016-05-15 4.7 2016-07-24 4.8 2016-10-02 4.9 2016-12-11 4.10 2017-02-19 4.11 2017-04-30
4.12 2017-07-02 4.13 2017-09-03 4.14 2017-11-12 4.15 2018-01-28 4.16 2018-04-01 4.17 2018-06-03
4.18 2018-08-12 4.19 2018-10-22 4.20 2018-12-23 5.0 2019-03-03 5.1 2019-05-05 5.2 2019-07-07
5.3 2019-09-15 5.4 2019-11-24 5.5 2020-01-26 5.6 2020-03-29 5.7 2020-05-31 5.8 2020-08-02
5.9 2020-10-11 5.10 2020-12-13 5.11 2021-02-14 5.12 2021-04-25 5.13 2021-06-27 5.14 2021-08-29
5.15 2021-10-31 5.16 2022-01-09 5.17 2022-03-20 5.18 2022-05-22 5.19 2022-07-31 6.0 2022-10-02
6.1 2022-12-11 6.2 2023-02-19 6.3 2023-04-23 6.4 2023-06-25 6.5 2023-08-27 6.6 2023-10-30
6.7 2024-01-07 6.8 2024-03-10 6.9 2024-05-12 6.10 2024-07-14 6.11 2024-09-15 6.12 2024-11-17
6.13 2025-01-19 6.14 2025-03-24 6.15 2025-05-25 6.16 2025-07-27 6.17 2025-09-28
""".split()
RELEASES = tuple((KernelVersion.parse(v), date.fromisoformat(d)) for v, d in zip(_RELEASES[::2], _RELEASES[1::2]))


def version_at(day: date) -> KernelVersion | None:
    """The latest mainline release on ``day`` (None before 4.0)."""
    found = None
    for version, released in RELEASES:
        if released <= day:
            found = version
    return found


def version_from_mail_date(header: str | None) -> KernelVersion | None:
    """The kernel a patch mailed with this ``Date:`` header most likely
    applies to: the release candidates after the latest release then (a
    patch mailed in July 2020, after v5.7, is written against v5.8-rc)."""
    if not header:
        return None
    day = mail_day(header)
    if day is None:
        return None
    released = version_at(day)
    if released is None:
        return None
    versions = [v for v, _ in RELEASES]
    index = versions.index(released)
    return versions[index + 1] if index + 1 < len(versions) else KernelVersion(released.major, released.minor + 1)


_MAIL_DAY = re.compile(r"\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+(\d{4}|\d\d)\b",
                       re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def mail_day(header: str) -> date | None:
    """The day of an RFC 2822 ``Date:`` header (``Wed, 29 Nov 2017 18:20:52
    +0000``), in the sender's time zone; None when there is none.  Read
    here rather than with :mod:`email.utils`, which a check would import
    for this alone."""
    match = _MAIL_DAY.search(header)
    if match is None:
        return None
    year = int(match.group(3))
    if year < 100:
        year += 1900 if year > 68 else 2000
    try:
        return date(year, _MONTHS.index(match.group(2).lower()) + 1, int(match.group(1)))
    except ValueError:
        return None


def version_from_makefile(text: str) -> KernelVersion | None:
    """``VERSION = 5`` / ``PATCHLEVEL = 10`` of a kernel top-level Makefile."""
    major = re.search(r"^VERSION\s*=\s*(\d+)", text, re.MULTILINE)
    minor = re.search(r"^PATCHLEVEL\s*=\s*(\d+)", text, re.MULTILINE)
    if major and minor:
        return KernelVersion(int(major.group(1)), int(minor.group(1)))
    return None


@record
class Era:
    """The target kernel and how it was learnt (tree, config, mail date)."""

    version: KernelVersion | None
    origin: str = "unknown"

    def satisfies(self, spec: str) -> bool | None:
        """Whether the era matches a range like ``<5.12``, ``>=4.18,<5.12``;
        None when the era is unknown."""
        if self.version is None:
            return None
        for op, bound in _range_bounds(spec):
            if bound is None:
                raise ValueError(f"bad kernel range {spec!r}")
            ok = {"<": self.version < bound, "<=": self.version <= bound, ">": self.version > bound,
                  ">=": self.version >= bound, "==": self.version == bound}[op]
            if not ok:
                return False
        return True


@lru_cache(maxsize=256)  # a few ranges, asked of every statement a taint rule follows
def _range_bounds(spec: str) -> tuple[tuple[str, KernelVersion | None], ...]:
    """``(operator, bound)`` of each part; a bound of None for a part that
    is no range (raised only when reached, as before)."""
    bounds: list[tuple[str, KernelVersion | None]] = []
    for part in spec.split(","):
        match = re.match(r"^\s*(<=|>=|<|>|==)?\s*v?(\d+\.\d+)\s*$", part)
        if not match:
            bounds.append(("", None))
            break
        bounds.append((match.group(1) or "==", KernelVersion.parse(match.group(2))))
    return tuple(bounds)


# --- files -------------------------------------------------------------------------
