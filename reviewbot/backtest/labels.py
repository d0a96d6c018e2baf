"""Judgements of findings, kept in the repository: a YAML or JSON mapping
from a finding's fingerprint (the baseline's, stable across revisions) to
what a person decided::

    3f2a9c0d1e4b5a67:
      verdict: wrong          # right | wrong | unjudged
      note: the register is written two lines up
      by: Ada Author <ada@example.org>
      rule: arm64.sysreg.msr-mrs-operand-order
      link: https://lore.kernel.org/r/20171129182052.1234-1-ada@example.org
      path: arch/arm64/kvm/hyp/entry.S
      line: 123

Only ``verdict`` is required; the rest is for the reader.  A file that is
not such a mapping is a configuration error naming the entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.records import record

VERDICTS = ("right", "wrong", "unjudged")
_KEYS = ("verdict", "note", "by", "rule", "link", "path", "line")
#: Kept as they are (the project's bench/labels.yaml records them; see
#: reviewbot/rules/precision.py): severity at judgement, the archive, every
#: mail the finding was made on, why the pack no longer makes it, and a
#: later reading of the same finding.
_KEPT = ("severity", "archive", "occurrences", "gone", "rejudged", "rejudged-by")


@record
class Label:
    """One judgement."""

    verdict: str
    note: str = ""
    by: str = ""
    rule: str = ""
    link: str = ""
    path: str = ""
    line: int | None = None
    kept: tuple[tuple[str, Any], ...] = ()  # the _KEPT keys of the entry, written back as they were

    def as_json(self) -> dict[str, Any]:
        """The entry as written to the file (empty fields left out)."""
        data = {"verdict": self.verdict, "note": self.note, "by": self.by, "rule": self.rule,
                "link": self.link, "path": self.path, "line": self.line, **dict(self.kept)}
        return {k: v for k, v in data.items() if v not in ("", None) or k == "verdict"}


@record
class Tally:
    """Judged findings of one rule, by distinct fingerprint."""

    right: int = 0
    wrong: int = 0
    unjudged: int = 0

    @property
    def precision(self) -> float | None:
        """right / judged, or None before anything is judged."""
        judged = self.right + self.wrong
        return self.right / judged if judged else None


def lore_link(msgid: str | None) -> str:
    """The lore.kernel.org address of a message."""
    return f"https://lore.kernel.org/r/{msgid}" if msgid else ""


def load_labels(path: Path, *, missing_ok: bool = False) -> dict[str, Label]:
    """The labels in ``path``; ConfigError names the file and the entry."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise ConfigError(f"{name}: no such labels file (--write-labels creates it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read the labels file: {exc}") from None
    try:
        import yaml
        data = yaml.safe_load(text) if text.strip() else {}
    except Exception as exc:  # noqa: BLE001 - yaml's errors say where
        raise ConfigError(f"{name}: not YAML or JSON: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a labels file maps fingerprints to judgements, not a {type(data).__name__}")
    labels: dict[str, Label] = {}
    for fingerprint, entry in data.items():
        where = f"{name}: {fingerprint}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with a verdict, got {entry!r}")
        unknown = sorted(set(map(str, entry)) - set(_KEYS) - set(_KEPT))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(_KEYS + _KEPT)})")
        verdict = entry.get("verdict")
        if verdict not in VERDICTS:
            raise ConfigError(f"{where}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
        line = entry.get("line")
        if line is not None and not isinstance(line, int):
            raise ConfigError(f"{where}: line {line!r} is not a number")
        kept = tuple((k, entry[k]) for k in _KEPT if k in entry)
        labels[str(fingerprint)] = Label(verdict, *(str(entry.get(k) or "") for k in _KEYS[1:6]), line, kept)
    return labels


def add_unjudged(labels: dict[str, Label], findings: Iterable[Any]) -> dict[str, Label]:
    """``labels`` with an ``unjudged`` entry for each new fingerprint (the
    first finding with it fills in rule, link, path and line)."""
    merged = dict(labels)
    for f in findings:
        if f.fingerprint and f.fingerprint not in merged:
            merged[f.fingerprint] = Label("unjudged", rule=f.rule, link=lore_link(f.msgid), path=f.path or "",
                                          line=f.line)
    return merged


def write_labels(path: Path, labels: dict[str, Label]) -> None:
    """Write the labels, JSON for a ``.json`` file, else YAML; entries in
    the order they were (new ones last).  An existing YAML file is only
    appended to, so its comments and layout stay as the judges wrote them."""
    data = {fingerprint: label.as_json() for fingerprint, label in labels.items()}
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        import yaml
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old.strip():
            known = load_labels(path)
            added = {fingerprint: entry for fingerprint, entry in data.items() if fingerprint not in known}
            if not added:
                return
            text = old + ("" if old.endswith("\n") else "\n")
        else:
            added = data
            text = "# reviewbot backtest labels: fingerprint -> verdict (right | wrong | unjudged), note, by\n"
        text += yaml.safe_dump(added, sort_keys=False, allow_unicode=True, width=100)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def tally(findings: Iterable[Any], labels: dict[str, Label]) -> dict[str, Tally]:
    """Per rule: distinct fingerprints judged right, wrong, not yet judged."""
    seen: dict[str, dict[str, str]] = {}
    for f in findings:
        label = labels.get(f.fingerprint)
        seen.setdefault(f.rule, {})[f.fingerprint] = label.verdict if label else "unjudged"
    return {rule: Tally(*(sum(v == verdict for v in verdicts.values()) for verdict in VERDICTS))
            for rule, verdicts in sorted(seen.items())}
